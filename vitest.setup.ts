// Property tests run with a fixed fast-check seed so CI is reproducible; explore new cases with
// FC_SEED=random (or a number). A failing property prints its seed and path for replay.
import fc from "fast-check";

const env = process.env["FC_SEED"];
if (env !== "random") fc.configureGlobal({ seed: env === undefined ? 20261125 : Number(env) });
