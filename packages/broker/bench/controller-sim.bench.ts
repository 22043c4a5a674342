// Controller simulation over many seeds (more than CI runs), with its speed.
// Run: pnpm exec tsx --conditions=source packages/broker/bench/controller-sim.bench.ts
// CONTROLLER_SIM_SEEDS=N or =first:N (default 10001:5000, past the seeds CI runs).
import { replayCommand, runSeed, seedRange } from "../test/controller/sim/run.js";

const { first, count } = seedRange(process.env.CONTROLLER_SIM_SEEDS, 5000);
const started = performance.now();
let applied = 0;
let failed = 0;
for (
  let seed = first === 1 && process.env.CONTROLLER_SIM_SEEDS === undefined ? 10_001 : first, n = 0;
  n < count;
  n++, seed++
) {
  const result = runSeed(seed);
  applied += result.stats.applied;
  if (result.error !== null) {
    failed++;
    console.log(`seed ${seed} FAILED: ${result.error.message}\n  replay: ${replayCommand(seed)}`);
  }
}
const ms = performance.now() - started;
console.log(
  `controller sim: ${count} seeds, ${failed} failed, ${applied} entries applied, ${ms.toFixed(0)} ms (${(ms / count).toFixed(1)} ms/seed)`,
);
if (failed > 0) process.exitCode = 1;
