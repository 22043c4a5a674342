// The tail cache as the Log uses it: copies, lent slices, freed adopted appends, truncation and
// DeleteRecords.
import { afterEach, describe, expect, it } from "vitest";
import type { Log } from "../src/index.js";
import { batchesIn, makeBatch, makeSizedBatch } from "./batches.js";
import { openTempLog } from "./helpers.js";

describe("tail cache in the log", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  async function openLog(tailCacheBytes: number): Promise<Log> {
    return (await openTempLog(cleanups, { tailCacheBytes, segmentBytes: 1 << 20 })).log;
  }
  const values = (buffers: Buffer[]): string[] => batchesIn(buffers).map((b) => String(b.baseOffset));

  it("serves what was appended, not the caller's later changes to its buffer", async () => {
    const log = await openLog(1 << 20);
    const buf = makeBatch([{ value: "a" }, { value: "b" }]);
    const original = Buffer.from(buf);
    await log.append(buf);
    original.writeBigInt64BE(0n, 0); // offsets stamped in place: compare with the stamped copy
    const stamped = Buffer.from(buf);
    buf.fill(0);
    expect(Buffer.concat((await log.read(0, 1 << 20)).buffers)).toEqual(stamped);
  });

  it("slices returned by read stay intact while later appends go through (lent slabs are not reused)", async () => {
    const log = await openLog(64 * 1024);
    const held: { bytes: Buffer; copy: Buffer }[] = [];
    for (let i = 0; i < 300; i++) {
      await log.append(makeSizedBatch(1, 900));
      if (i % 50 === 0) {
        const r = await log.read(i, 1 << 20);
        held.push({ bytes: r.buffers[0]!, copy: Buffer.from(r.buffers[0]!) });
      }
    }
    for (const h of held) expect(h.bytes).toEqual(h.copy);
    expect(values((await log.read(299, 1 << 20)).buffers)).toEqual(["299"]);
  });

  it("a large handed-over append is freed once dropped from the cache; the log reads it from the file", async () => {
    const log = await openLog(4 * 1024 * 1024); // 1 MiB slabs: appends from 128 KiB are adopted
    const appended: Buffer[] = [];
    const copies: Buffer[] = [];
    for (let i = 0; i < 24; i++) {
      const buf = makeSizedBatch(1, 300 * 1024); // 13 fit in the cache
      appended.push(buf);
      const done = log.append(buf, { transfer: true });
      copies.push(Buffer.from(buf)); // offsets are stamped synchronously
      await done;
    }
    expect(appended.slice(0, 4).every((b) => b.length === 0)).toBe(true); // dropped: memory freed
    expect(appended.slice(-4).every((b) => b.length > 0)).toBe(true); // still cached
    for (let i = 0; i < copies.length; i++) {
      const r = await log.read(i, 1); // the first batch at i, from the file or the cache
      expect(Buffer.concat(r.buffers).equals(copies[i]!)).toBe(true);
    }
  });

  it("truncateTo drops cached batches: later reads see the new appends at the same offsets", async () => {
    const log = await openLog(64 * 1024);
    for (let i = 0; i < 100; i++) await log.append(makeSizedBatch(2, 900));
    await log.truncateTo(150);
    const replacement = makeBatch([{ value: "new" }]);
    await log.append(replacement);
    const r = await log.read(150, 1 << 20);
    expect(values(r.buffers)).toEqual(["150"]);
    expect(Buffer.concat(r.buffers)).toEqual(replacement);
    expect(values((await log.read(140, 1 << 20)).buffers)).toEqual(["140", "142", "144", "146", "148", "150"]);
  });

  it("deleteRecordsBefore evicts the cache below the new log start; reads from it still work", async () => {
    const log = await openLog(64 * 1024);
    for (let i = 0; i < 100; i++) await log.append(makeSizedBatch(2, 900));
    await log.deleteRecordsBefore(181); // inside batch [180, 181]
    await expect(log.read(179, 1 << 20)).rejects.toMatchObject({ code: "OFFSET_OUT_OF_RANGE" });
    expect(values((await log.read(181, 1 << 20)).buffers)).toEqual([
      "180",
      ...Array.from({ length: 9 }, (_, i) => String(182 + 2 * i)),
    ]);
    await log.append(makeBatch([{ value: "x" }]));
    expect(values((await log.read(199, 1 << 20)).buffers)).toEqual(["198", "200"]);
  });
});
