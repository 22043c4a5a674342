// The checks themselves must be able to fail: feed them violations.
import { describe, expect, it } from "vitest";
import { RaftCore, type Entry } from "../../src/index.js";
import { Checker, InvariantError } from "./invariants.js";
import { runSeed } from "./run.js";

const e = (term: number, index: number, s: string): Entry => ({
  term,
  index,
  type: "normal",
  data: new TextEncoder().encode(s),
});

function core(id: number): RaftCore {
  return new RaftCore({
    id,
    membership: { voters: [1, 2, 3], learners: [] },
    electionTicks: 10,
    heartbeatTicks: 1,
    random: () => 0,
  });
}

describe("simulation invariants", () => {
  it("flag two leaders in one term", () => {
    const c = new Checker();
    const a = core(1);
    const b = core(2);
    a.role = b.role = "leader";
    a.term = b.term = 3;
    c.checkLeader(a);
    expect(() => c.checkLeader(b)).toThrow(InvariantError);
  });
  it("flag different entries at the same index and term (log matching)", () => {
    const c = new Checker();
    c.checkPersisted(core(1), [e(1, 1, "x")]);
    expect(() => c.checkPersisted(core(2), [e(1, 1, "y")])).toThrow(/log matching/);
  });
  it("flag two nodes committing different entries at an index", () => {
    const c = new Checker();
    c.checkCommitted(1, e(1, 5, "x"));
    expect(() => c.checkCommitted(2, e(2, 5, "y"))).toThrow(/state machine safety/);
  });
  it("flag a committed entry durable on a minority only", () => {
    const c = new Checker();
    c.checkCommitted(1, e(1, 1, "x"));
    const has = { snapshotIndex: 0, snapshotTerm: 0, termAt: (i: number) => (i === 1 ? 1 : undefined) };
    const lacks = { snapshotIndex: 0, snapshotTerm: 0, termAt: () => undefined };
    expect(() =>
      c.checkDurable(
        [1, 2, 3],
        new Map([
          [1, has],
          [2, lacks],
          [3, lacks],
        ]),
      ),
    ).toThrow(/durability/);
    c.checkDurable(
      [1, 2, 3],
      new Map([
        [1, has],
        [2, has],
        [3, lacks],
      ]),
    );
  });
  it("flag a new leader that lacks a committed entry (leader completeness)", () => {
    const c = new Checker();
    c.checkCommitted(1, e(1, 1, "x"));
    const l = core(2);
    l.role = "leader";
    l.term = 2;
    expect(() => c.checkLeader(l)).toThrow(/leader completeness/);
  });
  it("replays a seed exactly", () => {
    const a = runSeed(7, "lin");
    const b = runSeed(7, "lin");
    expect(b).toEqual(a);
    expect(a.events).toBeGreaterThan(1000);
  });
});
