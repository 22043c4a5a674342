// Property test: RaftLog against a plain-array model under random appends (with suffix
// replacement), commits, persistence and compaction.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaftLog } from "../src/core/log.js";
import type { Entry } from "../src/index.js";

type Op =
  | { kind: "append"; back: number; count: number; termBump: number }
  | { kind: "commit"; frac: number }
  | { kind: "stable"; frac: number }
  | { kind: "compact"; frac: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("append" as const),
    back: fc.nat(5),
    count: fc.integer({ min: 1, max: 4 }),
    termBump: fc.nat(2),
  }),
  fc.record({ kind: fc.constant("commit" as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("stable" as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("compact" as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

describe("RaftLog", () => {
  it("compacting past the persisted index leaves nothing below the snapshot unstable (seed 1475679016)", () => {
    const log = new RaftLog();
    log.append([1, 2, 3].map((index) => ({ term: 1, index, type: "normal" as const, data: new Uint8Array([index]) })));
    log.commitTo(2);
    log.applied = 2;
    log.compact({ meta: { index: 1, term: 1, membership: { voters: [1], learners: [] } }, data: new Uint8Array(0) });
    expect(log.stabledIndex).toBe(1);
    expect(log.unstableEntries().map((e) => e.index)).toEqual([2, 3]);
  });

  it("matches an array model", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const log = new RaftLog();
        let model: Entry[] = []; // model[i-1] = entry at index i (compacted ones kept for reference)
        let term = 1;
        let stabled = 0; // model: how far the log is persisted
        for (const o of ops) {
          if (o.kind === "append") {
            const first = Math.max(log.committed + 1, log.lastIndex() + 1 - o.back);
            term += o.termBump;
            const ents = Array.from({ length: o.count }, (_, k) => ({
              term,
              index: first + k,
              type: "normal" as const,
              data: new Uint8Array([k]),
            }));
            log.append(ents);
            model = model.slice(0, first - 1).concat(ents);
            stabled = Math.min(stabled, first - 1); // a replaced suffix must be persisted again
          } else if (o.kind === "commit") {
            log.commitTo(log.committed + Math.floor(o.frac * (log.lastIndex() - log.committed)));
          } else if (o.kind === "stable") {
            const i = log.snapshotIndex + Math.floor(o.frac * (log.lastIndex() - log.snapshotIndex));
            if (i > log.snapshotIndex) {
              log.stableTo(i, log.term(i)!);
              stabled = Math.max(stabled, i);
            }
          } else {
            log.applied = log.committed;
            const i = log.snapshotIndex + Math.floor(o.frac * (log.applied - log.snapshotIndex));
            if (i > log.snapshotIndex)
              log.compact({
                meta: { index: i, term: log.term(i)!, membership: { voters: [1], learners: [] } },
                data: new Uint8Array(0),
              });
          }
          expect(log.lastIndex()).toBe(model.length);
          expect(log.committed).toBeLessThanOrEqual(log.lastIndex());
          expect(log.stabledIndex).toBeLessThanOrEqual(log.lastIndex());
          for (let i = log.snapshotIndex; i <= log.lastIndex(); i++) {
            expect(log.term(i)).toBe(i === 0 ? 0 : model[i - 1]!.term);
          }
          expect(log.term(log.lastIndex() + 1)).toBeUndefined();
          if (log.snapshotIndex > 0) expect(log.term(log.snapshotIndex - 1)).toBeUndefined();
          // findConflictByTerm: largest index <= i whose term <= t.
          const probe = log.lastIndex();
          const t = Math.max(0, term - 1);
          const hint = log.findConflictByTerm(probe, t);
          expect(hint.index).toBeGreaterThanOrEqual(log.snapshotIndex);
          if (hint.index > log.snapshotIndex) expect(log.term(hint.index)!).toBeLessThanOrEqual(t);
          for (let i = hint.index + 1; i <= probe; i++) expect(log.term(i)!).toBeGreaterThan(t);
          expect(log.stabledIndex).toBe(Math.max(stabled, log.snapshotIndex));
          expect(log.unstableEntries().map((e) => e.index)).toEqual(
            model
              .slice(stabled)
              .map((e) => e.index)
              .filter((x) => x > log.snapshotIndex),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
