// The write pipeline of a Log: group commit, two large groups in flight, failed writes, and the
// lone large append checked while written.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CRC_OFFSET, computeBatchCrc } from "@gregor/protocol";
import { Log, CorruptRecordError, LogClosedError, type LogOptions } from "../src/index.js";
import { batchesIn, makeBatch, makeSizedBatch } from "./batches.js";
import { openTempLog, tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const openLog = (options: LogOptions = {}): Promise<{ log: Log; dir: string }> => openTempLog(cleanups, options);

describe("Log write pipeline", () => {
  it("group-commits concurrent appends with offsets in call order", async () => {
    const { log } = await openLog();
    let wakeups = 0;
    log.onAppend(() => wakeups++);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.append(makeBatch([{ value: `m${i}` }, { value: "x" }]))),
    );
    results.forEach((r, i) => {
      expect(r.baseOffset).toBe(2 * i);
    });
    expect(log.logEndOffset).toBe(400);
    // One listener call per written group; 200 appends issued together make far fewer groups.
    expect(wakeups).toBeGreaterThanOrEqual(1);
    expect(wakeups).toBeLessThan(200);
    const batches = batchesIn((await log.read(0, 1 << 30)).buffers);
    expect(batches.map((b) => b.baseOffset)).toEqual(results.map((r) => r.baseOffset));
  });

  it("writes large groups two at a time yet commits, acknowledges and stores them in offset order", async () => {
    // 300 KiB appends in 700 KiB groups: every group takes the async write path, two in flight;
    // the listener must only ever see the log end move forward over written bytes.
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir, { maxGroupCommitBytes: 700 * 1024, segmentBytes: 3 * 1024 * 1024 });
    const ends: number[] = [];
    log.onAppend((end) => ends.push(end));
    const appends = Array.from({ length: 24 }, (_, i) => {
      const buf = makeSizedBatch(3, 300 * 1024);
      buf.fill(i, 61); // each append's record bytes tell it apart (its CRC is recomputed below)
      return buf;
    });
    for (const b of appends) b.writeUInt32BE(computeBatchCrc(b, 0), CRC_OFFSET);
    const expected = appends.map((b) => Buffer.from(b));
    const settled: number[] = [];
    const results = await Promise.all(
      appends.map((b, i) => log.append(b, { transfer: i % 2 === 0 }).then((r) => (settled.push(i), r))),
    );
    expect(settled).toEqual(settled.slice().sort((a, b) => a - b));
    results.forEach((r, i) => {
      expect(r.baseOffset).toBe(3 * i);
    });
    expect(ends).toEqual(ends.slice().sort((a, b) => a - b));
    expect(ends[ends.length - 1]).toBe(72);
    const check = async (l: Log): Promise<void> => {
      const parts: Buffer[] = [];
      for (let offset = 0; offset < l.logEndOffset; ) {
        const batches = (await l.read(offset, 1 << 30)).buffers; // one segment per read, as in Kafka
        parts.push(...batches);
        offset = batchesIn(batches).at(-1)!.lastOffset + 1;
      }
      const read = Buffer.concat(parts);
      expected.forEach((b, i) => {
        b.writeBigInt64BE(BigInt(3 * i), 0);
      });
      expect(read.equals(Buffer.concat(expected))).toBe(true);
    };
    await check(log);
    expect((await readdir(dir)).filter((f) => f.endsWith(".log")).length).toBeGreaterThan(1);
    await log.close();
    const reopened = await Log.open(dir, { tailCacheBytes: 0 });
    expect(reopened.logEndOffset).toBe(72);
    await check(reopened);
    await reopened.close();
  });

  it("a failed write takes the log offline: that group and every later one are rejected, earlier ones stay", async () => {
    const { log } = await openLog({ maxGroupCommitBytes: 700 * 1024 });
    await log.append(makeBatch([{ value: "before" }]));
    // Fail the second large write from now on, after the first is already in flight.
    const segment = (log as unknown as { local: { active: { write: (b: Buffer[], n: number) => Promise<void> } } })
      .local.active;
    const realWrite = segment.write.bind(segment);
    let writes = 0;
    segment.write = (b, n) =>
      ++writes === 2
        ? new Promise((_, reject) => setTimeout(() => reject(new Error("EIO: simulated")), 20))
        : realWrite(b, n);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => log.append(makeSizedBatch(3, 300 * 1024))),
    );
    const ok = outcomes.findIndex((o) => o.status === "rejected");
    expect(ok).toBeGreaterThan(0); // the first group was written and acknowledged
    expect(outcomes.slice(0, ok).every((o) => o.status === "fulfilled")).toBe(true);
    for (const o of outcomes.slice(ok)) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(LogClosedError);
    expect(log.logEndOffset).toBe(1 + 3 * ok);
    await expect(log.append(makeBatch([{ value: "after" }]))).rejects.toBeInstanceOf(LogClosedError);
  });

  it("a lone large append is written while its CRC is checked; a bad one is cut off the file and takes no offsets", async () => {
    const { log, dir } = await openLog({ segmentBytes: 64 * 1024 * 1024 });
    const big = (fill: number, bytes = 300 * 1024): Buffer => {
      const b = makeSizedBatch(2, bytes);
      b.fill(fill, 61);
      b.writeUInt32BE(computeBatchCrc(b, 0), CRC_OFFSET);
      return b;
    };
    const segmentFile = join(dir, "00000000000000000000.log");
    const fileBytes = async (): Promise<number> => (await readFile(segmentFile)).length;
    // One at a time (the writer idle each time): the path that checks while writing.
    for (let i = 0; i < 3; i++) {
      expect(await log.append(big(i), { transfer: i === 1 })).toMatchObject({
        baseOffset: 2 * i,
        lastOffset: 2 * i + 1,
      });
    }
    const segment = (log as unknown as { local: { active: { abandonWrite: (n: number) => Promise<void> } } }).local
      .active;
    const abandon = segment.abandonWrite.bind(segment);
    let abandoned = 0;
    segment.abandonWrite = (n) => (abandoned++, abandon(n));
    const goodBytes = log.activeSegmentBytes;
    expect(await fileBytes()).toBe(goodBytes);
    // A bad CRC: rejected, no offsets taken, the bytes already written are cut off again (it is
    // larger than what follows, so nothing would overwrite all of it).
    const bad = big(9, 700 * 1024);
    bad[bad.length - 1]! ^= 0xff;
    const rejected = log.append(bad);
    // Appended before the bad one is settled: written after it is cut off, at the offsets it did not take.
    const next = big(7);
    const nextCopy = Buffer.from(next);
    const small = makeBatch([{ value: "after" }]);
    const [r1, r2, r3] = await Promise.allSettled([rejected, log.append(next), log.append(small)]);
    expect(r1.status).toBe("rejected");
    expect((r1 as PromiseRejectedResult).reason).toBeInstanceOf(CorruptRecordError);
    expect(r2).toMatchObject({ status: "fulfilled", value: { baseOffset: 6, lastOffset: 7 } });
    expect(r3).toMatchObject({ status: "fulfilled", value: { baseOffset: 8 } });
    expect(abandoned).toBe(1); // it was written (then dropped), not refused before writing
    expect(log.logEndOffset).toBe(9);
    expect(await fileBytes()).toBe(log.activeSegmentBytes);
    expect(log.activeSegmentBytes).toBe(goodBytes + next.length + small.length);
    nextCopy.writeBigInt64BE(6n, 0);
    const read = Buffer.concat((await log.read(6, 1)).buffers);
    expect(read.equals(nextCopy)).toBe(true);
    // After a reopen (no recovery truncation needed) every batch is intact and in place.
    await log.close();
    const reopened = await Log.open(dir, { tailCacheBytes: 0 });
    expect(reopened.logEndOffset).toBe(9);
    const all = batchesIn((await reopened.read(0, 1 << 30)).buffers);
    expect(all.map((b) => b.baseOffset)).toEqual([0, 2, 4, 6, 8]);
    await reopened.close();
  });
});
