// Controller simulation over many seeds (more than CI runs), with its speed.
// Run: pnpm exec tsx --conditions=source packages/broker/bench/controller-sim.bench.ts
// CONTROLLER_SIM_SEEDS=N or =first:N (default 10001:5000, past the seeds CI runs).
import { replayCommand, runSeed, seedRange } from "../test/controller/sim/run.js";

const env = process.env.CONTROLLER_SIM_SEEDS;
const { first, count } = env === undefined ? { first: 10_001, count: 5_000 } : seedRange(env, 5_000);
const started = performance.now();
const cpuStart = process.cpuUsage();
let applied = 0;
let failed = 0;
for (let seed = first; seed < first + count; seed++) {
  const result = runSeed(seed);
  applied += result.stats.applied;
  if (result.error !== null) {
    failed++;
    console.log(`seed ${seed} FAILED: ${result.error.message}\n  replay: ${replayCommand(seed)}`);
  }
}
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  `controller sim: seeds ${first}..${first + count - 1}, ${failed} failed, ${applied} entries applied, ` +
    `${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms cpu (${(cpuMs / count).toFixed(1)} ms cpu/seed)`,
);
if (failed > 0) process.exitCode = 1;
