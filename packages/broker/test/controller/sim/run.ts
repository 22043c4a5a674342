// Runs one seed of the controller simulation; a failure carries the seed and the command that
// replays it.
import { Prng } from "@gregor/testkit";
import { Simulation, randomOptions } from "./world.js";

export interface SeedResult {
  seed: number;
  error: Error | null;
  stats: Simulation["stats"];
  answers: Map<string, number>;
  recordKinds: Map<string, number>;
}

export function runSeed(seed: number): SeedResult {
  const sim = new Simulation(seed, randomOptions(new Prng(seed ^ 0x5eed)));
  try {
    sim.run();
    return { seed, error: null, stats: sim.stats, answers: sim.workload.answers, recordKinds: sim.recordKinds };
  } catch (err) {
    return { seed, error: err as Error, stats: sim.stats, answers: sim.workload.answers, recordKinds: sim.recordKinds };
  }
}

export function replayCommand(seed: number): string {
  return `CONTROLLER_SIM_SEEDS=${seed}:1 pnpm exec vitest run packages/broker/test/controller/sim`;
}

/** CONTROLLER_SIM_SEEDS = "count" or "first:count"; the default keeps CI well under a minute. */
export function seedRange(env: string | undefined, defaultCount: number): { first: number; count: number } {
  if (env === undefined || env === "") return { first: 1, count: defaultCount };
  const [a, b] = env.split(":");
  if (b === undefined) return { first: 1, count: Number(a) };
  return { first: Number(a), count: Number(b) };
}
