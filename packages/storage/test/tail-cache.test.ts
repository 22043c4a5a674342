import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TailCache, UNCACHED_APPEND_BYTES, slabBytesFor } from "../src/internal/tail-cache.js";
import type { BatchMeta } from "../src/internal/batch.js";

/** An append of synthetic batches (the cache never parses them): `sizes[i]` bytes, `counts[i]` offsets. */
function fakeAppend(
  baseOffset: number,
  sizes: number[],
  counts: number[],
  fill: () => number,
): { buf: Buffer; metas: BatchMeta[] } {
  const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  for (let i = 0; i < buf.length; i++) buf[i] = fill();
  const metas: BatchMeta[] = [];
  let pos = 0;
  let offset = baseOffset;
  sizes.forEach((size, i) => {
    metas.push({
      pos,
      size,
      baseOffset: offset,
      lastOffsetDelta: counts[i]! - 1,
      maxTimestamp: 0,
      partitionLeaderEpoch: 0,
    });
    pos += size;
    offset += counts[i]!;
  });
  return { buf, metas };
}

interface ModelBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
}

/** What a read must return for the batches the cache holds (a suffix of `all`). */
function modelRead(
  all: ModelBatch[],
  offset: number,
  maxBytes: number,
  maxOffset: number,
): { bytes: Buffer; firstOffset: number } {
  const out: Buffer[] = [];
  let bytes = 0;
  let firstOffset = -1;
  for (const b of all) {
    if (b.lastOffset < offset) continue;
    if (b.lastOffset >= maxOffset) break;
    if (firstOffset >= 0 && bytes + b.bytes.length > maxBytes) break;
    if (firstOffset < 0) firstOffset = b.baseOffset;
    out.push(b.bytes);
    bytes += b.bytes.length;
  }
  return { bytes: Buffer.concat(out), firstOffset };
}

describe("TailCache (arena)", () => {
  it("sizes slabs at a quarter of the bound, 4 KiB to 4 MiB, never above the bound", () => {
    expect(slabBytesFor(16 * 1024 * 1024)).toBe(4 * 1024 * 1024);
    expect(slabBytesFor(1024 * 1024 * 1024)).toBe(4 * 1024 * 1024);
    expect(slabBytesFor(64 * 1024)).toBe(16 * 1024);
    expect(slabBytesFor(8192)).toBe(4096);
    expect(slabBytesFor(1000)).toBe(1000);
  });

  it("copies appends: the caller's buffer is neither retained nor aliased", () => {
    const cache = new TailCache(1 << 20);
    let n = 1;
    const { buf, metas } = fakeAppend(0, [100, 50], [3, 1], () => n++ & 0xff);
    const copy = Buffer.from(buf);
    cache.add(buf, metas);
    buf.fill(0);
    const r = cache.read(0, 1 << 20, Infinity)!;
    expect(r.buffers).toHaveLength(1);
    expect(r.buffers[0]!.buffer).not.toBe(buf.buffer);
    expect(Buffer.concat(r.buffers)).toEqual(copy);
    expect(r.firstOffset).toBe(0);
    expect(cache.read(3, 1, Infinity)).toMatchObject({ bytes: 50, firstOffset: 3 });
  });

  it("adopts a large handed-over append as a slab of its own; small ones are still copied", () => {
    const cache = new TailCache(16 * 1024 * 1024); // 4 MiB slabs: adoptable from 512 KiB
    let n = 1;
    const small = fakeAppend(0, [1000], [2], () => n++ & 0xff);
    const large = fakeAppend(2, [300 * 1024, 300 * 1024], [5, 5], () => n++ & 0xff);
    const after = fakeAppend(12, [1000], [1], () => n++ & 0xff);
    expect(cache.add(small.buf, small.metas, true)!.buffer).not.toBe(small.buf.buffer);
    const kept = cache.add(large.buf, large.metas, true)!;
    expect(kept.buffer).toBe(large.buf.buffer);
    cache.add(after.buf, after.metas, true);
    const r = cache.read(0, 1 << 30, Infinity)!;
    expect(r.buffers).toHaveLength(3); // first slab, the adopted buffer, the slab opened after it
    expect(r.buffers[1]!.buffer).toBe(large.buf.buffer);
    expect(Buffer.concat(r.buffers)).toEqual(Buffer.concat([small.buf, large.buf, after.buf]));
    expect(cache.read(7, 1, Infinity)).toMatchObject({ firstOffset: 7, bytes: 300 * 1024 });
    expect(cache.bytes).toBe(2 * 4 * 1024 * 1024 + large.buf.length);
  });

  it("serves reads spanning slabs as one slice per slab, and counts the slabs' memory", () => {
    const cache = new TailCache(64 * 1024); // 16 KiB slabs
    const all: ModelBatch[] = [];
    for (let i = 0; i < 40; i++) {
      const { buf, metas } = fakeAppend(i * 2, [1000], [2], () => i);
      all.push({ baseOffset: i * 2, lastOffset: i * 2 + 1, bytes: Buffer.from(buf) });
      cache.add(buf, metas);
    }
    // 16 batches fit a slab; 40 batches fill 3 slabs (48 KiB held).
    expect(cache.slabCount).toBe(3);
    expect(cache.bytes).toBe(48 * 1024);
    const r = cache.read(0, 1 << 20, Infinity)!;
    expect(r.buffers.map((b) => b.length)).toEqual([16000, 16000, 8000]);
    expect(Buffer.concat(r.buffers)).toEqual(modelRead(all, 0, 1 << 20, Infinity).bytes);
    const mid = cache.read(31, 3000, 70)!; // from the batch holding 31, three batches, across a slab end
    expect(mid.firstOffset).toBe(30);
    expect(mid.buffers.map((b) => b.length)).toEqual([1000, 2000]);
    expect(Buffer.concat(mid.buffers)).toEqual(modelRead(all, 31, 3000, 70).bytes);
  });

  it("evicts whole slabs, oldest first, and leaves returned slices intact (slabs are never reused)", () => {
    const cache = new TailCache(32 * 1024); // 8 KiB slabs, at most 4
    const first = fakeAppend(0, [4000], [1], () => 7);
    cache.add(first.buf, first.metas);
    const held = cache.read(0, 1 << 20, Infinity)!.buffers[0]!;
    for (let i = 1; i <= 20; i++) {
      const { buf, metas } = fakeAppend(i, [4000], [1], () => i);
      cache.add(buf, metas);
      expect(cache.bytes).toBeLessThanOrEqual(32 * 1024);
    }
    expect(cache.read(0, 1, Infinity)).toBeUndefined(); // evicted: the log reads the file
    expect(cache.read(20, 1, Infinity)?.firstOffset).toBe(20);
    expect(held.every((b) => b === 7)).toBe(true);
    // An append larger than a slab gets a slab of its own; one larger than the bound empties the cache.
    const big = fakeAppend(21, [20000], [1], () => 1);
    cache.add(big.buf, big.metas);
    expect(cache.read(21, 1, Infinity)?.bytes).toBe(20000);
    const huge = fakeAppend(22, [40000], [1], () => 1);
    cache.add(huge.buf, huge.metas);
    expect(cache.bytes).toBe(0);
    expect(cache.read(22, 1, Infinity)).toBeUndefined();
  });

  it("recycles an evicted slab only if no read lent a slice of it and all its batches are written", () => {
    const run = (writtenEnd: number, readEvery: number): { distinct: number; intact: boolean } => {
      const cache = new TailCache(32 * 1024, () => writtenEnd); // 8 KiB slabs
      const arrayBuffers = new Set<ArrayBufferLike>();
      const held: Buffer[] = [];
      for (let i = 0; i < 40; i++) {
        const { buf, metas } = fakeAppend(i, [4000], [1], () => i);
        arrayBuffers.add(cache.add(buf, metas)!.buffer);
        if (readEvery > 0 && i % readEvery === 0) held.push(cache.read(i, 1 << 20, Infinity)!.buffers[0]!);
      }
      return { distinct: arrayBuffers.size, intact: held.every((b, k) => b.every((x) => x === k * readEvery)) };
    };
    // 40 appends of 4000 bytes fill 20 slabs.
    expect(run(Infinity, 0).distinct).toBeLessThan(7); // written, never read: reused
    expect(run(0, 0).distinct).toBe(20); // not yet written: never reused
    const tailed = run(Infinity, 2); // every slab lent to a reader: never reused, slices intact
    expect(tailed.distinct).toBe(20);
    expect(tailed.intact).toBe(true);
  });

  it("starts afresh when an append is not above the cached end (offset order is kept)", () => {
    const cache = new TailCache(1 << 20);
    for (let i = 0; i < 10; i++) {
      const { buf, metas } = fakeAppend(i, [100], [1], () => i);
      cache.add(buf, metas);
    }
    const again = fakeAppend(5, [100], [1], () => 99);
    cache.add(again.buf, again.metas);
    expect(cache.read(0, 1 << 20, Infinity)).toBeUndefined();
    const r = cache.read(5, 1 << 20, Infinity)!;
    expect(r.firstOffset).toBe(5);
    expect(Buffer.concat(r.buffers)).toEqual(again.buf);
  });

  it("evictBelow drops batches and the slabs left without any; resize shrinks", () => {
    const cache = new TailCache(64 * 1024);
    for (let i = 0; i < 40; i++) {
      const { buf, metas } = fakeAppend(i, [1000], [1], () => i);
      cache.add(buf, metas);
    }
    cache.evictBelow(20);
    expect(cache.read(19, 1, Infinity)).toBeUndefined();
    expect(cache.read(20, 1 << 20, Infinity)?.bytes).toBe(20 * 1000);
    expect(cache.slabCount).toBe(2); // the first slab (batches 0-15) is gone
    cache.resize(16 * 1024);
    expect(cache.bytes).toBeLessThanOrEqual(16 * 1024);
    expect(cache.read(39, 1, Infinity)?.firstOffset).toBe(39);
    cache.evictBelow(1000);
    expect(cache.bytes).toBe(0);
    expect(cache.read(39, 1, Infinity)).toBeUndefined();
  });

  it("does not cache an append not handed over that is large for it (no megabyte copies); starts afresh after it", () => {
    const cache = new TailCache(16 * 1024 * 1024);
    const small = fakeAppend(0, [1000], [1], () => 1);
    const large = fakeAppend(1, [UNCACHED_APPEND_BYTES], [1], () => 2);
    const after = fakeAppend(2, [1000], [1], () => 3);
    cache.add(small.buf, small.metas);
    expect(cache.add(large.buf, large.metas)).toBeUndefined();
    expect(cache.read(0, 1 << 30, Infinity)).toBeUndefined(); // the earlier batches went with it: contiguity
    expect(cache.bytes).toBe(0);
    cache.add(after.buf, after.metas);
    expect(cache.read(2, 1 << 30, Infinity)?.bytes).toBe(1000);
    expect(cache.read(1, 1 << 30, Infinity)).toBeUndefined();
    const justBelow = fakeAppend(3, [UNCACHED_APPEND_BYTES - 1], [1], () => 4);
    expect(cache.add(justBelow.buf, justBelow.metas)!.buffer).not.toBe(justBelow.buf.buffer); // copied
    // A cache of 128 MiB keeps (copies) appends below 4 MiB, 1/32 of it.
    const roomy = new TailCache(128 * 1024 * 1024);
    const mib = fakeAppend(0, [1024 * 1024], [1], () => 5);
    expect(roomy.add(mib.buf, mib.metas)!.buffer).not.toBe(mib.buf.buffer);
    expect(roomy.read(0, 1 << 30, Infinity)?.bytes).toBe(1024 * 1024);
    const four = fakeAppend(1, [4 * 1024 * 1024], [1], () => 6);
    expect(roomy.add(four.buf, four.metas)).toBeUndefined();
  });

  it("frees a dropped adopted append (detaches it) only when written, never lent and a whole ArrayBuffer of its own", () => {
    const run = (
      writtenEnd: number,
      readAt: number,
      slice: boolean,
    ): { detached: number[]; held: Buffer | undefined } => {
      const cache = new TailCache(16 * 1024 * 1024, () => writtenEnd); // 4 MiB slabs: adoptable from 512 KiB
      const bufs: Buffer[] = [];
      let held: Buffer | undefined;
      for (let i = 0; i < 40; i++) {
        const { buf, metas } = fakeAppend(i, [600 * 1024], [1], () => i);
        // slice: the append is a view into a larger ArrayBuffer (a request frame, say).
        const owned = slice ? Buffer.concat([Buffer.alloc(16), buf]).subarray(16) : buf;
        bufs.push(owned);
        cache.add(owned, metas, true);
        if (i === readAt) held = cache.read(i, 1 << 30, Infinity)!.buffers[0];
      }
      return { detached: bufs.flatMap((b, i) => (b.length === 0 ? [i] : [])), held };
    };
    // 40 appends of 600 KiB in a 16 MiB cache: the oldest 13 are dropped (27 fit).
    expect(run(Infinity, -1, false).detached).toEqual([...Array(13).keys()]);
    expect(run(5, -1, false).detached).toEqual([0, 1, 2, 3, 4]); // batches from 5 on are not written yet
    const lent = run(Infinity, 3, false); // a reader holds a slice of append 3: it stays, intact
    expect(lent.detached).toEqual([...Array(13).keys()].filter((i) => i !== 3));
    expect(lent.held!.length).toBe(600 * 1024);
    expect(lent.held!.every((b) => b === 3)).toBe(true);
    expect(run(Infinity, -1, true).detached).toEqual([]); // views into larger buffers are left to the GC
  });

  it("matches a model: holds a contiguous suffix of the appends, the last one included, within its bound", () => {
    const op = fc.oneof(
      {
        arbitrary: fc.record({
          kind: fc.constant("add" as const),
          sizes: fc.array(fc.integer({ min: 61, max: 3000 }), { minLength: 1, maxLength: 4 }),
          count: fc.integer({ min: 1, max: 3 }),
          adopt: fc.boolean(),
        }),
        weight: 8,
      },
      {
        arbitrary: fc.record({ kind: fc.constant("evict" as const), back: fc.integer({ min: 0, max: 30 }) }),
        weight: 1,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("resize" as const),
          maxBytes: fc.constantFrom(0, 5000, 16384, 40000),
        }),
        weight: 1,
      },
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 80 }),
        fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 1, max: 20000 }), fc.nat(220)), { maxLength: 10 }),
        (ops, reads) => {
          const cache = new TailCache(40000);
          let bound = 40000;
          let all: ModelBatch[] = [];
          let next = 0;
          let fill = 0;
          for (const o of ops) {
            if (o.kind === "add") {
              const { buf, metas } = fakeAppend(
                next,
                o.sizes,
                o.sizes.map(() => o.count),
                () => fill++ & 0xff,
              );
              for (const m of metas)
                all.push({
                  baseOffset: m.baseOffset,
                  lastOffset: m.baseOffset + m.lastOffsetDelta,
                  bytes: Buffer.from(buf.subarray(m.pos, m.pos + m.size)),
                });
              next += o.sizes.length * o.count;
              cache.add(buf, metas, o.adopt);
              if (buf.length <= bound)
                expect(cache.read(metas[0]!.baseOffset, 1 << 30, Infinity)?.bytes).toBe(buf.length);
            } else if (o.kind === "evict") {
              cache.evictBelow(Math.max(0, next - o.back));
              all = all.filter((b) => b.lastOffset >= next - o.back);
            } else {
              cache.resize(o.maxBytes);
              bound = o.maxBytes;
            }
            expect(cache.bytes).toBeLessThanOrEqual(bound);
          }
          for (const [offset, maxBytes, maxOffset] of reads) {
            const r = cache.read(offset, maxBytes, maxOffset);
            if (r === undefined) continue;
            const expected = modelRead(all, offset, maxBytes, maxOffset);
            expect(r.firstOffset).toBe(expected.firstOffset);
            expect(Buffer.concat(r.buffers)).toEqual(expected.bytes);
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 200) },
    );
  });
});
