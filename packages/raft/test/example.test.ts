import { expect, it } from "vitest";
import { runExample } from "../examples/cluster.js";

it("the README example runs: the follower's linearizable read sees every write", async () => {
  expect(await runExample()).toEqual({ a: 4, b: 2 });
});

it("the pure-core example commits and applies by hand-stepping", async () => {
  const { runPureCore } = await import("../examples/pure-core.js");
  expect(runPureCore()).toEqual(["hello", "raft"]);
});
