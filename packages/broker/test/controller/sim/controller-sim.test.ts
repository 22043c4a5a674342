// The controller replicated by RaftCore under faults: see world.ts for what is simulated and
// checks.ts for the invariants. CONTROLLER_SIM_SEEDS=N or =first:N picks the seeds.
import { describe, expect, it } from "vitest";
import { replayCommand, runSeed, seedRange } from "./run.js";

const { first, count } = seedRange(process.env.CONTROLLER_SIM_SEEDS, 1000);

describe("controller simulation", () => {
  it("is a pure function of its seed", () => {
    const a = runSeed(first);
    const b = runSeed(first);
    expect(b.stats).toEqual(a.stats);
    expect(b.answers).toEqual(a.answers);
    expect(b.recordKinds).toEqual(a.recordKinds);
  });

  it(`keeps the invariants over ${count} seeds from ${first}`, () => {
    const totals = { applied: 0, snapshots: 0, crashes: 0, answered: 0 };
    const answers = new Map<string, number>();
    const kinds = new Map<string, number>();
    for (let seed = first; seed < first + count; seed++) {
      const result = runSeed(seed);
      if (result.error !== null) {
        throw new Error(
          `seed ${seed} failed: ${result.error.message}\n  replay: ${replayCommand(seed)}\n${result.error.stack}`,
        );
      }
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += result.stats[k];
      for (const [k, v] of result.answers) answers.set(k, (answers.get(k) ?? 0) + v);
      for (const [k, v] of result.recordKinds) kinds.set(k, (kinds.get(k) ?? 0) + v);
    }
    // The runs did something: entries applied, snapshots taken, nodes crashed, calls answered, and
    // every kind of call succeeded at least once.
    expect(totals.applied).toBeGreaterThan(0);
    expect(totals.snapshots).toBeGreaterThan(0);
    expect(totals.answered).toBeGreaterThan(0);
    if (count >= 50) {
      expect(totals.crashes).toBeGreaterThan(0);
      for (const kind of [
        "createTopics",
        "deleteTopics",
        "createPartitions",
        "incrementalAlterConfigs",
        "electLeaders",
        "allocateProducerIds",
        "alterPartition",
      ]) {
        expect(answers.get(`${kind}:0`) ?? 0, kind).toBeGreaterThan(0);
      }
      for (const kind of [
        "fence",
        "unfence",
        "controlledShutdown",
        "leaderElected",
        "leaderLost",
        "isrChange",
        "RemoveTopic",
      ]) {
        expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
      }
    }
    console.log(
      `controller sim: ${count} seeds`,
      totals,
      Object.fromEntries([...kinds].sort()),
      Object.fromEntries([...answers].sort()),
    );
  });
});
