// Linearizability of a replicated KV store (writes through the log, reads via read-index)
// under faults. RAFT_LIN_SEEDS=n changes the seed count (default 1000); RAFT_SEED=s replays one.
import { describe, expect, it } from "vitest";
import { runSeed } from "./run.js";
import { seeds } from "./seeds.js";

describe("raft simulation: linearizable KV", () => {
  it("every history is linearizable", () => {
    let ops = 0;
    // Lin seeds start at 1,000,001 so they differ from the safety seeds.
    for (const seed of seeds("RAFT_LIN_SEEDS", 1000, 1_000_001)) {
      ops += runSeed(seed, "lin", process.env.RAFT_SEED !== undefined).completed;
    }
    expect(ops).toBeGreaterThan(0);
  });
});
