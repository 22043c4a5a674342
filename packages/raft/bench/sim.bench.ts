// Simulation speed: seeded safety and linearizability runs, events per second.
// Run: pnpm exec tsx --conditions=source packages/raft/bench/sim.bench.ts
import { Bench } from "tinybench";
import { runSeed } from "../test/sim/run.js";

let seed = 1;
let events = 0;
let runs = 0;
const bench = new Bench({ time: 3000 });
bench.add("sim: one safety run (3-5 nodes, 6.5 s virtual, faults)", () => {
  events += runSeed(seed++, "safety").events;
  runs++;
});
const t0 = performance.now();
await bench.run();
const ms = performance.now() - t0;
console.table(bench.table());
console.log(
  `simulation speed: ${runs} runs, ${events} events in ${ms.toFixed(0)} ms = ${Math.round(events / (ms / 1000))} events/s`,
);

let linEvents = 0;
const t1 = performance.now();
for (let s = 1; s <= 200; s++) linEvents += runSeed(s + 1_000_000, "lin").events;
const ms1 = performance.now() - t1;
console.log(
  `linearizability runs (incl. checking): 200 runs in ${ms1.toFixed(0)} ms, ${Math.round(linEvents / (ms1 / 1000))} events/s`,
);
