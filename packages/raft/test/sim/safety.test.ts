// Deterministic simulation: crashes (losing un-fsynced writes), partitions, loss, duplication,
// reordering; Raft's safety properties checked after every event, liveness after healing.
// RAFT_SIM_SEEDS=n changes the seed count; RAFT_SEED=s replays one seed.
import { describe, expect, it } from "vitest";
import { runSeed } from "./run.js";
import { seeds } from "./seeds.js";

describe("raft simulation: safety and liveness", () => {
  it("holds the invariants over many seeds", () => {
    let events = 0;
    let completed = 0;
    for (const seed of seeds("RAFT_SIM_SEEDS", 600)) {
      const r = runSeed(seed, "safety", process.env.RAFT_SEED !== undefined);
      events += r.events;
      completed += r.completed;
    }
    // The runs did real work: clients completed operations through crashes and partitions.
    expect(events).toBeGreaterThan(0);
    expect(completed).toBeGreaterThan(0);
  });
});
