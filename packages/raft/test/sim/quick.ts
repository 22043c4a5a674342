// Ad-hoc runner: tsx --conditions=source packages/raft/test/sim/quick.ts <safety|lin> <count> [base]
import { runSeed } from "./run.js";
const kind = (process.argv[2] ?? "safety") as "safety" | "lin";
const n = Number(process.argv[3] ?? 20);
const base = Number(process.argv[4] ?? (kind === "lin" ? 1_000_001 : 1));
const t0 = performance.now();
let events = 0;
let ops = 0;
let done = 0;
for (let s = base; s < base + n; s++) {
  const r = runSeed(s, kind);
  events += r.events;
  ops += r.ops;
  done += r.completed;
}
const ms = performance.now() - t0;
console.log(
  `${kind}: ${n} seeds, ${events} events, ${ops} ops (${done} completed) in ${ms.toFixed(0)}ms = ${Math.round(events / (ms / 1000))} events/s`,
);
