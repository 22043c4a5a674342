// The producer state kept with a real storage log: rebuilt by a header scan after an unclean stop,
// loaded from `<offset>.snapshot` after a clean one, snapshotted at segment rolls, kept current by
// follower appends, rolled back by truncation, and rebuilt when its snapshot is corrupt.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeRecordBatch } from "@gregor/protocol";
import { Log } from "@gregor/storage";
import { tempDir } from "@gregor/testkit";
import { describe, expect, it } from "vitest";
import { ProducerStateLog } from "../../src/producer-state/producer-state-log.js";
import { encodeSnapshot, snapshotFileName } from "../../src/producer-state/snapshot-file.js";

const PID = 42n;
const quiet = { info() {}, warn() {}, error() {} };

function batch(baseSequence: number, count: number, options: { epoch?: number; baseOffset?: number } = {}): Buffer {
  return encodeRecordBatch({
    baseOffset: BigInt(options.baseOffset ?? 0),
    producerId: PID,
    producerEpoch: options.epoch ?? 0,
    baseSequence,
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: 1_700_000_000_000 + i,
      value: Buffer.from(`v${baseSequence + i}`),
    })),
  });
}

/** Appends batches of `count` records from sequence `from` as the Produce path does (check, begin, append, settle). */
async function produce(log: Log, p: ProducerStateLog, from: number, batches: number, count = 3): Promise<number[]> {
  const offsets: number[] = [];
  for (let i = 0; i < batches; i++) {
    const seq = from + i * count;
    expect(p.state.check(PID, 0, seq, seq + count - 1)).toEqual({ kind: "ok" });
    const settle = p.state.begin(PID, 0, seq, seq + count - 1);
    const r = await log.append(batch(seq, count), { leaderEpoch: 0 });
    settle(r.baseOffset);
    offsets.push(r.baseOffset);
  }
  return offsets;
}

function snapshots(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith(".snapshot"));
}

describe("ProducerStateLog", () => {
  it("rebuilds the state from the log after an unclean stop (no snapshot)", async () => {
    const dir = tempDir();
    const log = await Log.open(dir);
    const p = await ProducerStateLog.attach(log, quiet);
    const offsets = await produce(log, p, 0, 7);
    await log.flush(); // written, but neither closed nor snapshotted: a kill -9
    expect(snapshots(dir)).toEqual([]);
    const reopened = await Log.open(dir);
    const q = await ProducerStateLog.attach(reopened, quiet);
    expect(q.state.check(PID, 0, 18, 20)).toEqual({ kind: "duplicate", baseOffset: offsets[6] });
    expect(q.state.check(PID, 0, 6, 8)).toEqual({ kind: "duplicate", baseOffset: offsets[2] });
    expect(q.state.check(PID, 0, 22, 22)).toEqual({ kind: "error", errorCode: 45 });
    expect(q.state.check(PID, 0, 21, 23)).toEqual({ kind: "ok" });
    await reopened.close();
    await log.close();
  });

  it("writes <log end>.snapshot at clean shutdown and loads it on open", async () => {
    const dir = tempDir();
    const log = await Log.open(dir);
    const p = await ProducerStateLog.attach(log, quiet);
    await produce(log, p, 0, 2);
    await log.close();
    await p.close();
    expect(snapshots(dir)).toEqual([snapshotFileName(6)]);
    // A producer only the snapshot knows (not in the log) shows the snapshot is what was loaded.
    writeFileSync(
      join(dir, snapshotFileName(6)),
      encodeSnapshot([
        {
          producerId: 99n,
          epoch: 2,
          lastTimestamp: 0,
          currentTxnFirstOffset: -1,
          batches: [{ firstSeq: 0, lastSeq: 0, baseOffset: 5, lastOffset: 5 }],
        },
      ]),
    );
    const reopened = await Log.open(dir);
    const q = await ProducerStateLog.attach(reopened, quiet);
    expect(q.state.check(99n, 1, 1, 1)).toEqual({ kind: "error", errorCode: 47 });
    expect(q.state.entry(PID)).toBeUndefined();
    await reopened.close();
    await q.close();
  });

  it("rescans the log when the snapshot is corrupt (and drops a half-written one)", async () => {
    const dir = tempDir();
    const log = await Log.open(dir);
    const p = await ProducerStateLog.attach(log, quiet);
    const offsets = await produce(log, p, 0, 3);
    await log.close();
    await p.close();
    writeFileSync(join(dir, snapshotFileName(9)), Buffer.from("not a snapshot"));
    writeFileSync(join(dir, `${snapshotFileName(12)}.tmp`), Buffer.from("half written"));
    const reopened = await Log.open(dir);
    const q = await ProducerStateLog.attach(reopened, quiet);
    expect(q.state.check(PID, 0, 6, 8)).toEqual({ kind: "duplicate", baseOffset: offsets[2] });
    expect(readdirSync(dir).filter((n) => n.includes(".snapshot"))).toEqual([]);
    await reopened.close();
    await q.close();
  });

  it("snapshots at each segment roll, then recovers from the latest snapshot plus the log after it", async () => {
    const dir = tempDir();
    const log = await Log.open(dir, { segmentBytes: 400 });
    const p = await ProducerStateLog.attach(log, quiet);
    const offsets = await produce(log, p, 0, 12);
    await log.flush();
    await p.detach(); // waits for the snapshot writes
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(2);
    expect(snapshots(dir)).toEqual(bases.slice(1).map(snapshotFileName));
    const reopened = await Log.open(dir, { segmentBytes: 400 });
    const q = await ProducerStateLog.attach(reopened, quiet);
    for (let i = 7; i < 12; i++)
      expect(q.state.check(PID, 0, i * 3, i * 3 + 2)).toEqual({ kind: "duplicate", baseOffset: offsets[i] });
    expect(q.state.check(PID, 0, 36, 38)).toEqual({ kind: "ok" });
    await reopened.close();
    await log.close();
  });

  it("records a large append (written while its CRCs are checked) once it is stamped", async () => {
    const dir = tempDir();
    const log = await Log.open(dir);
    const p = await ProducerStateLog.attach(log, quiet);
    const big = encodeRecordBatch({
      producerId: PID,
      producerEpoch: 0,
      baseSequence: 0,
      records: Array.from({ length: 40 }, (_, i) => ({ timestamp: 1_700_000_000_000, value: Buffer.alloc(4096, i) })),
    });
    expect(big.length).toBeGreaterThan(64 * 1024);
    const r = await log.append(big, { leaderEpoch: 0 });
    expect(p.state.check(PID, 0, 0, 39)).toEqual({ kind: "duplicate", baseOffset: r.baseOffset });
    await log.close();
    await p.close();
  });

  it("deletes snapshots with the segments below them", async () => {
    const dir = tempDir();
    const log = await Log.open(dir, { segmentBytes: 400 });
    const p = await ProducerStateLog.attach(log, quiet);
    await produce(log, p, 0, 24);
    await p.cleanupSnapshots();
    const before = snapshots(dir);
    expect(before.length).toBeGreaterThan(2);
    await log.deleteRecordsBefore(40);
    await p.cleanupSnapshots();
    const first = log.segmentBaseOffsets()[0]!;
    expect(first).toBeGreaterThan(0);
    expect(snapshots(dir)).toEqual(before.filter((n) => Number(n.slice(0, 20)) >= first));
    expect(snapshots(dir).length).toBeLessThan(before.length);
    await log.close();
    await p.close();
  });

  it("follows follower appends and rolls back on truncation", async () => {
    const dir = tempDir();
    const log = await Log.open(dir, { segmentBytes: 400 });
    const p = await ProducerStateLog.attach(log, quiet);
    let offset = 0;
    for (let seq = 0; seq < 30; seq += 3) {
      await log.appendAsFollower(batch(seq, 3, { baseOffset: offset }));
      offset += 3;
    }
    expect(p.state.check(PID, 0, 27, 29)).toEqual({ kind: "duplicate", baseOffset: 27 });
    await log.truncateTo(15);
    await p.afterTruncation();
    expect(p.state.check(PID, 0, 15, 17)).toEqual({ kind: "ok" });
    expect(p.state.check(PID, 0, 12, 14)).toEqual({ kind: "duplicate", baseOffset: 12 });
    expect(snapshots(dir).every((n) => Number(n.slice(0, 20)) <= 15)).toBe(true);
    // The new leader's batches with other sequences follow the truncation point.
    await log.appendAsFollower(batch(0, 2, { epoch: 1, baseOffset: 15 }));
    expect(p.state.check(PID, 0, 15, 17)).toEqual({ kind: "error", errorCode: 47 });
    await log.truncateFullyAndStartAt(100);
    await p.afterTruncation(true);
    expect(p.state.size).toBe(0);
    expect(snapshots(dir)).toEqual([]);
    await log.close();
    await p.close();
  });
});
