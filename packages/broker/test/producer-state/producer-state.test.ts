// The pure producer state (sequence checks, the log-following updates, snapshot entries) and the
// snapshot file format.
import { encodeRecordBatch } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { forEachProducerBatch, PartitionProducerState } from "../../src/producer-state/producer-state.js";
import { decodeSnapshot, encodeSnapshot, snapshotFileName } from "../../src/producer-state/snapshot-file.js";

const PID = 7n;

function logged(firstSeq: number, count: number, baseOffset: number, epoch = 0) {
  return {
    producerId: PID,
    epoch,
    firstSeq,
    lastSeq: firstSeq + count - 1,
    baseOffset,
    lastOffset: baseOffset + count - 1,
    maxTimestamp: 1000 + baseOffset,
  };
}

describe("PartitionProducerState", () => {
  it("answers a logged batch's retry as a duplicate with its offset, a gap as OUT_OF_ORDER, an old epoch as INVALID_PRODUCER_EPOCH", () => {
    const s = new PartitionProducerState();
    s.applyLogged(logged(0, 10, 100));
    s.applyLogged(logged(10, 10, 110));
    expect(s.check(PID, 0, 0, 9)).toEqual({ kind: "duplicate", baseOffset: 100 });
    expect(s.check(PID, 0, 10, 19)).toEqual({ kind: "duplicate", baseOffset: 110 });
    expect(s.check(PID, 0, 20, 29)).toEqual({ kind: "ok" });
    expect(s.check(PID, 0, 21, 29)).toEqual({ kind: "error", errorCode: 45 });
    s.applyLogged(logged(0, 1, 120, 1));
    expect(s.check(PID, 0, 20, 29)).toEqual({ kind: "error", errorCode: 47 });
    expect(s.check(PID, 2, 5, 5)).toEqual({ kind: "error", errorCode: 45 });
    expect(s.check(PID, 2, 0, 5)).toEqual({ kind: "ok" });
  });

  it("keeps the last 5 batches per producer", () => {
    const s = new PartitionProducerState();
    for (let i = 0; i < 7; i++) s.applyLogged(logged(i * 2, 2, i * 2));
    expect(s.entry(PID)?.batches.map((b) => b.firstSeq)).toEqual([4, 6, 8, 10, 12]);
    // Older than the kept batches: OUT_OF_ORDER_SEQUENCE_NUMBER (45), never DUPLICATE_SEQUENCE_NUMBER,
    // which clients take as "written" (the fault suite's seed 12 lost acknowledged records so).
    expect(s.check(PID, 0, 2, 3)).toEqual({ kind: "error", errorCode: 45 });
  });

  it("answers an earlier batch resent after a later one was accepted first with 45, not as written", () => {
    const s = new PartitionProducerState();
    s.applyLogged(logged(71, 20, 0)); // a new leader saw the producer's later batch first
    expect(s.check(PID, 0, 0, 70)).toEqual({ kind: "error", errorCode: 45 });
  });

  it("gives a batch reserved by begin its offsets when the log stamps it, once", () => {
    const s = new PartitionProducerState();
    const settle = s.begin(PID, 0, 0, 4);
    const pending = s.check(PID, 0, 0, 4);
    expect(pending.kind).toBe("duplicate");
    s.applyLogged(logged(0, 5, 40));
    s.applyLogged(logged(0, 5, 40)); // seen twice (a reload racing the hook): no second entry
    settle(40);
    expect(s.entry(PID)?.batches).toEqual([{ firstSeq: 0, lastSeq: 4, baseOffset: 40, lastOffset: 44 }]);
    expect(s.snapshotEntries(45)[0]?.batches).toHaveLength(1);
  });

  it("forgets a reserved batch whose append failed", () => {
    const s = new PartitionProducerState();
    s.applyLogged(logged(0, 5, 0));
    const settle = s.begin(PID, 0, 5, 9);
    settle(-1);
    expect(s.check(PID, 0, 5, 9)).toEqual({ kind: "ok" });
  });

  it("snapshots only batches below the offset, and loads a snapshot back", () => {
    const s = new PartitionProducerState();
    s.applyLogged(logged(0, 5, 0));
    s.applyLogged(logged(5, 5, 5));
    s.applyLogged({ ...logged(0, 3, 10), producerId: 8n });
    s.begin(PID, 0, 10, 14); // pending: never in a snapshot
    const entries = s.snapshotEntries(10);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.batches.map((b) => b.baseOffset)).toEqual([0, 5]);
    const t = new PartitionProducerState();
    t.load(entries);
    expect(t.check(PID, 0, 5, 9)).toEqual({ kind: "duplicate", baseOffset: 5 });
    expect(t.check(8n, 0, 0, 2)).toEqual({ kind: "ok" });
  });

  it("reads idempotent batches from stamped record sets and skips plain ones", () => {
    const idem = encodeRecordBatch({
      baseOffset: 50n,
      producerId: PID,
      producerEpoch: 3,
      baseSequence: 20,
      records: [
        { timestamp: 1, value: Buffer.from("a") },
        { timestamp: 2, value: Buffer.from("b") },
      ],
    });
    const plain = encodeRecordBatch({ baseOffset: 52n, records: [{ timestamp: 3, value: Buffer.from("c") }] });
    const seen: unknown[] = [];
    forEachProducerBatch(Buffer.concat([idem, plain]), (b) => seen.push(b));
    expect(seen).toMatchObject([
      { producerId: PID, epoch: 3, firstSeq: 20, lastSeq: 21, baseOffset: 50, lastOffset: 51 },
    ]);
  });

  it("bounds the producers it keeps", () => {
    const s = new PartitionProducerState(3);
    for (let p = 0n; p < 5n; p++) s.applyLogged({ ...logged(0, 1, Number(p)), producerId: p });
    expect(s.size).toBe(3);
    expect(s.entry(0n)).toBeUndefined();
    expect(s.entry(4n)).toBeDefined();
  });
});

describe("snapshot file", () => {
  it("round-trips and is named like Kafka's", () => {
    const entries = [
      {
        producerId: 123456789012n,
        epoch: 4,
        lastTimestamp: 1_700_000_000_000,
        currentTxnFirstOffset: -1,
        batches: [
          { firstSeq: 0, lastSeq: 9, baseOffset: 2 ** 40, lastOffset: 2 ** 40 + 9 },
          { firstSeq: 10, lastSeq: 10, baseOffset: 2 ** 40 + 10, lastOffset: 2 ** 40 + 10 },
        ],
      },
      { producerId: 1n, epoch: 0, lastTimestamp: -1, currentTxnFirstOffset: -1, batches: [] },
    ];
    expect(decodeSnapshot(encodeSnapshot(entries))).toEqual(entries);
    expect(snapshotFileName(1234)).toBe("00000000000000001234.snapshot");
  });

  it("refuses a corrupt, truncated or foreign file with what is wrong", () => {
    const good = encodeSnapshot([
      { producerId: 1n, epoch: 0, lastTimestamp: 0, currentTxnFirstOffset: -1, batches: [] },
    ]);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => decodeSnapshot(flipped)).toThrow(/CRC/);
    expect(() => decodeSnapshot(good.subarray(0, 5))).toThrow(/shorter than its header/);
    const version = Buffer.from(good);
    version.writeInt16BE(9, 0);
    expect(() => decodeSnapshot(version)).toThrow(/version 9/);
  });
});
