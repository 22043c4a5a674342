import { Prng } from "@gregor/testkit";
import { randomOptions, Simulation } from "./world.js";
const seed = Number(process.argv[2] ?? 1);
const kind = (process.argv[3] ?? "safety") as "safety" | "lin";
const sim = new Simulation(seed, randomOptions(new Prng(seed ^ 0x5eed), kind), true);
try {
  sim.run();
  console.log("ok");
} catch (e) {
  console.log((e as Error).message);
}
for (const [id, n] of sim.nodes) console.log(id, n.core?.status(), n.inbox.length, n.persisting !== null);
console.log(sim.clients.history.filter((o) => o.ret === Infinity));
console.log(sim.trace.slice(-40).join("\n"));
