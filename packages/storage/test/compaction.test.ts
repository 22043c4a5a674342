import { CompressionCodec, decodeRecordBatch, decodeRecordBatchAsync, encodeRecordBatchAsync } from "@gregor/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Log, type LogOptions } from "../src/index.js";
import { makeBatch } from "./batches.js";
import { openTempLog, tempDir } from "./helpers.js";
import { DAY, OPTIONS, T0, put, records, type Rec } from "./compaction-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const openDir = (options: LogOptions = OPTIONS): Promise<{ log: Log; dir: string }> => openTempLog(cleanups, options);

describe("log compaction", () => {
  it("keeps the last record per key, with its offset, below the active segment", async () => {
    const { log } = await openDir();
    const lastOffset = new Map<string, number>();
    let offset = 0;
    for (let round = 0; round < 30; round++) {
      const entries: [string, string][] = [];
      for (let i = 0; i < 3; i++) entries.push([`k${(round * 3 + i) % 7}`, `v${round}-${i}`]);
      await put(log, entries);
      for (const [k] of entries) lastOffset.set(k, offset++);
    }
    const before = await records(log);
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    const stats = await log.compact(T0);
    expect(stats.skipped).toBeUndefined();
    expect(stats.cleanedUpTo).toBe(activeBase);
    const after = await records(log);
    // Below the active segment: one record per key (its last one there); the active segment untouched.
    const lastBelow = new Map<string, number>();
    for (const r of before) if (r.offset < activeBase) lastBelow.set(r.key!, r.offset);
    const expected = before.filter((r) => r.offset >= activeBase || lastBelow.get(r.key!) === r.offset);
    expect(after).toEqual(expected);
    expect(stats.recordsRemoved).toBe(before.length - after.length);
    expect(stats.bytesAfter).toBeLessThan(stats.bytesBefore);
    expect(log.logEndOffset).toBe(90);
    // A second pass with nothing new changes nothing; appends continue at the same offsets.
    expect((await log.compact(T0)).recordsRemoved).toBe(0);
    await put(log, [["k0", "new"]]);
    expect((await records(log)).at(-1)).toEqual({ offset: 90, key: "k0", value: "new" });
  });

  it("reads at offsets in removed ranges return the next surviving batch; reopen keeps it all", async () => {
    const { log, dir } = await openDir();
    for (let i = 0; i < 20; i++)
      await put(log, [
        ["same", `v${i}`],
        ["same", `w${i}`],
      ]);
    await put(log, [["other", "x"]]);
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    await log.compact(T0);
    const survivors = (await records(log)).filter((r) => r.offset < activeBase);
    expect(survivors.map((r) => r.key)).toEqual(["same"]);
    const survivor = survivors[0]!.offset;
    for (let at = 0; at < activeBase; at++) {
      const r = await log.read(at, 1 << 20);
      const first = decodeRecordBatch(r.buffers[0]!);
      expect(first.records.length, `read at ${at}`).toBeGreaterThan(0); // never only empty batches
      expect(Number(first.baseOffset) + first.lastOffsetDelta).toBeGreaterThanOrEqual(at);
      // The first record returned at or after `at` is the survivor.
      const offsets = first.records.map((x) => Number(first.baseOffset) + x.offsetDelta).filter((o) => o >= at);
      expect(offsets[0] ?? Infinity).toBeGreaterThanOrEqual(Math.max(survivor, at));
    }
    const all = await records(log);
    await log.close();
    const reopened = await Log.open(dir, OPTIONS);
    expect(await records(reopened)).toEqual(all);
    expect(reopened.logEndOffset).toBe(41);
    await reopened.close();
  });

  it("removes tombstones only once delete.retention.ms has passed since a pass first covered them", async () => {
    const { log } = await openDir({ ...OPTIONS, deleteRetentionMs: DAY });
    await put(log, [
      ["a", "1"],
      ["b", "1"],
    ]);
    await put(log, [["a", null]]);
    for (let i = 0; i < 12; i++) await put(log, [[`f${i}`, "x".repeat(40)]]);
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    expect(activeBase).toBeGreaterThan(3);
    await log.compact(T0);
    let recs = await records(log);
    expect(recs.filter((r) => r.key === "a")).toEqual([{ offset: 2, key: "a", value: null }]);
    await log.compact(T0 + DAY - 1);
    recs = await records(log);
    expect(recs.some((r) => r.key === "a")).toBe(true);
    const stats = await log.compact(T0 + DAY);
    expect(stats.tombstonesRemoved).toBe(1);
    recs = await records(log);
    expect(recs.some((r) => r.key === "a")).toBe(false);
    expect(recs.find((r) => r.key === "b")).toEqual({ offset: 1, key: "b", value: "1" });
  });

  it("respects min.compaction.lag.ms, cleanup.policy and leaves control/transactional batches alone", async () => {
    const { log } = await openDir({ ...OPTIONS, minCompactionLagMs: 1000 });
    for (let i = 0; i < 10; i++) await put(log, [["k", `v${i}`]], T0 + i * 50);
    await log.append(makeBatch([{ key: "k", value: "txn" }], { attributes: 0x10, baseTimestamp: T0 }));
    for (let i = 0; i < 10; i++) await put(log, [["k", `w${i}`]], T0 + 5000);
    const before = await records(log);
    // At T0 + 1500 only segments whose newest batch is older than T0 + 500 are cleanable.
    const stats = await log.compact(T0 + 1500);
    const after = await records(log);
    expect(after.length).toBeLessThan(before.length);
    expect(after.find((r) => r.value === "txn")).toBeDefined();
    expect(after.some((r) => r.value === "v9")).toBe(true);
    expect(stats.cleanedUpTo).toBeLessThan(log.segmentBaseOffsets().at(-1)!);
    log.updateConfig({ cleanupPolicy: "delete" });
    expect((await log.compact(T0 + DAY)).skipped).toBe("cleanup.policy=delete");
  });

  it("rewrites zstd batches with their codec; drops emptied batches but a producer's last", async () => {
    const { log } = await openDir({ ...OPTIONS, segmentBytes: 2000 });
    const value = (i: number): Buffer => Buffer.from(`value-${i}-`.repeat(10));
    for (let i = 0; i < 30; i++) {
      const batch = await encodeRecordBatchAsync({
        records: [
          { key: Buffer.from(`k${i % 4}`), value: value(i), timestamp: T0 },
          { key: Buffer.from("dup"), value: value(i), timestamp: T0 },
        ],
        compression: CompressionCodec.Zstd,
        producerId: BigInt(100 + (i % 2)),
        producerEpoch: 0,
        baseSequence: i * 2,
      });
      await log.append(batch);
    }
    await log.append(
      await encodeRecordBatchAsync({
        records: [{ key: Buffer.from("dup"), value: value(0), timestamp: T0 }],
        compression: CompressionCodec.Zstd,
        producerId: 102n,
        producerEpoch: 0,
        baseSequence: 0,
      }),
    );
    for (let i = 0; i < 30; i++)
      await put(log, [
        ["dup", "plain"],
        ["dup", "x".repeat(60)],
      ]);
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    expect(activeBase).toBeGreaterThan(60);
    await log.compact(T0);
    const batches: Awaited<ReturnType<typeof decodeRecordBatchAsync>>[] = [];
    for (let next = 0; next < activeBase; ) {
      const r = await log.read(next, 1 << 20);
      let pos = 0;
      const buf = r.buffers[0]!;
      while (pos < buf.length) {
        const b = await decodeRecordBatchAsync(buf, pos);
        batches.push(b);
        pos += 12 + b.batchLength;
        next = Number(b.baseOffset) + b.lastOffsetDelta + 1;
      }
    }
    const zstd = batches.filter((b) => b.producerId >= 0n);
    // Survivors keep their codec, producer fields and offset range; k0..k3 survive once each.
    expect(zstd.every((b) => b.compression === CompressionCodec.Zstd || b.records.length === 0)).toBe(true);
    expect(zstd.flatMap((b) => b.records.map((r) => r.key!.toString())).sort()).toEqual(["k0", "k1", "k2", "k3"]);
    const fromProducers = zstd.filter((b) => b.producerId < 102n);
    for (const b of fromProducers) expect(b.baseSequence).toBe(Number(b.baseOffset));
    expect(fromProducers.every((b) => b.lastOffsetDelta === 1)).toBe(true);
    // Emptied batches are dropped, except a producer's last one: producers 100 and 101 end with
    // batches that keep k0 / k1, so only producer 102's stays empty. The plain batches go.
    const emptied = zstd.filter((b) => b.records.length === 0);
    expect(emptied.map((b) => b.producerId)).toEqual([102n]);
    expect(batches.every((b) => b.records.length > 0 || b.producerId >= 0n)).toBe(true);
    expect(batches.length).toBeLessThan(61);
    // Producer 102's only batch lost its record but stays, empty, with its offset and sequence.
    const last102 = zstd.find((b) => b.producerId === 102n);
    expect(last102).toMatchObject({ baseOffset: 60n, lastOffsetDelta: 0, baseSequence: 0, recordsCount: 0 });
  });
});

describe("compaction property: the compacted log matches last-value-per-key", () => {
  it("model", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    type Op =
      | { kind: "put"; key: number; tombstone: boolean; n: number }
      | { kind: "compact"; advanceMs: number }
      | { kind: "reopen" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          kind: fc.constant("put" as const),
          key: fc.integer({ min: 0, max: 5 }),
          tombstone: fc.boolean(),
          n: fc.integer({ min: 1, max: 3 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant("compact" as const), advanceMs: fc.constantFrom(0, 500, 1000) }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 50 }),
        fc.constantFrom(0, 300, 5000),
        async (ops, tailCacheBytes) => {
          const path = `${dir}/run-${run++}`;
          const options: LogOptions = { ...OPTIONS, deleteRetentionMs: 1000, segmentBytes: 400, tailCacheBytes };
          let log = await Log.open(path, options);
          let now = T0;
          const written: Rec[] = [];
          try {
            for (const o of ops) {
              if (o.kind === "put") {
                const entries: [string, string | null][] = [];
                for (let i = 0; i < o.n; i++)
                  entries.push([`k${(o.key + i) % 6}`, o.tombstone && i === 0 ? null : `v${written.length + i}`]);
                const r = await log.append(
                  makeBatch(
                    entries.map(([key, value]) => ({ key, value })),
                    { baseTimestamp: now },
                  ),
                );
                entries.forEach(([key, value], i) => {
                  written.push({ offset: r.baseOffset + i, key, value });
                });
              } else if (o.kind === "compact") {
                now += o.advanceMs;
                await log.compact(now);
              } else {
                await log.close();
                log = await Log.open(path, options);
              }
              const visible = await records(log);
              // Offsets are preserved, in order, and a subset of what was written.
              const byOffset = new Map(written.map((w) => [w.offset, w]));
              for (const v of visible) expect(byOffset.get(v.offset)).toEqual(v);
              expect(log.logEndOffset).toBe(written.length);
              // The latest value of every key is intact (a tombstone may be gone: then the key is absent).
              const lastOf = new Map<string, Rec>();
              for (const w of written) lastOf.set(w.key!, w);
              const visibleLast = new Map<string, Rec>();
              for (const v of visible) visibleLast.set(v.key!, v);
              for (const [k, w] of lastOf) {
                if (w.value === null) expect([undefined, w]).toContainEqual(visibleLast.get(k));
                else expect(visibleLast.get(k)).toEqual(w);
              }
              // Below the last cleaned point, one record per key at most.
              const cleanedUpTo = log.cleanableRange(now).firstDirtyOffset;
              const keysBelow = visible.filter((v) => v.offset < cleanedUpTo).map((v) => v.key);
              expect(new Set(keysBelow).size).toBe(keysBelow.length);
            }
          } finally {
            await log.close();
          }
        },
      ),
      {
        numRuns: Number(process.env.PROPERTY_RUNS ?? 20),
        ...(process.env.PROPERTY_SEED === undefined ? {} : { seed: Number(process.env.PROPERTY_SEED) }),
      },
    );
  });
});
