// In-memory tail of the log, contiguous up to the log end offset and bounded in bytes. Tailing
// consumers and followers read from here as zero-copy subarrays instead of touching the file.
//
// An arena: appended batches are copied (one memcpy per append) into large slabs, and the batch
// index lives in typed-array rings, so the cache neither keeps the appenders' buffers alive (often
// small slices of much larger socket reads) nor makes one heap object per batch for the young
// generation to copy. A slab that `read` ever lent a slice of is never reused: when evicted it is
// dropped and a fresh one allocated, so a slice returned by `read` (perhaps still queued on a
// socket) stays valid for as long as it is referenced. Only a slab that was never lent and whose
// batches are all written (the log passes its written end) is recycled, which spares appends
// nobody tails the allocation churn (page faults, external-memory GCs). A large append handed
// over by its caller is kept as it is (a slab of its own) and, when dropped unlent, freed at once
// (releaseAdopted). The bound counts the slabs' capacity, i.e. the memory held.
import { assert } from "@gregor/protocol/util";
import type { BatchMeta } from "./batch.js";

export interface CachedRead {
  buffers: Buffer[];
  bytes: number;
  firstOffset: number;
}

/** Largest slab; a cache of B bytes uses slabs of min(B / 4, this), at least 4 KiB (or B). */
const MAX_SLAB_BYTES = 4 * 1024 * 1024;
const MIN_SLAB_BYTES = 4096;
/** Index ring size: a power of two (positions are masked), doubled when full. */
const INITIAL_BATCHES = 1024;
/** An evicted slab kept for reuse (never lent, fully written): the next slab, allocated at once. */
const MAX_FREE_SLABS = 1;
/** An adoptable append (see add) is at least this fraction of a slab: smaller ones are copied. */
const ADOPT_FRACTION = 8;
/** An append not handed over of at least this size (and 1/32 of the bound) is not cached (see add). */
export const UNCACHED_APPEND_BYTES = 512 * 1024;

interface Slab {
  buf: Buffer;
  /** A slice of it was returned by `read`: it may be referenced anywhere, never reuse it. */
  lent: boolean;
  /** The caller's own buffer (see add's `adopt`): never recycled; released when dropped unlent. */
  adopted: boolean;
  /** Last offset of its last batch. */
  lastOffset: number;
}

export function slabBytesFor(maxBytes: number): number {
  return Math.min(maxBytes, Math.max(MIN_SLAB_BYTES, Math.min(MAX_SLAB_BYTES, Math.floor(maxBytes / 4))));
}

export class TailCache {
  private maxBytes: number;
  private slabBytes: number;
  /** Slabs, oldest first, from `slabHead`; slab number n is `slabs[n - firstSlab]`. */
  private slabs: Slab[] = [];
  private free: Buffer[] = [];
  /** The log's written end offset: batches below it are no longer needed by the writer. */
  private readonly writtenEnd: () => number;
  private slabHead = 0;
  private firstSlab = 0;
  /** Bytes used in the newest slab. */
  private slabUsed = 0;
  private capacity = 0;
  // The batch index: a ring of `count` entries from `head`, in offset order.
  private baseOffsets = new Float64Array(INITIAL_BATCHES);
  private lastOffsets = new Float64Array(INITIAL_BATCHES);
  private slabOf = new Int32Array(INITIAL_BATCHES);
  private positions = new Int32Array(INITIAL_BATCHES);
  private sizes = new Int32Array(INITIAL_BATCHES);
  private head = 0;
  private count = 0;

  constructor(maxBytes: number, writtenEnd: () => number = () => -Infinity) {
    this.maxBytes = maxBytes;
    this.writtenEnd = writtenEnd;
    this.slabBytes = slabBytesFor(maxBytes);
  }

  /** Memory held by the slabs (their capacity, used or not). */
  get bytes(): number {
    return this.capacity;
  }

  /** Number of slabs held. */
  get slabCount(): number {
    return this.slabs.length - this.slabHead;
  }

  /** Changes the bound; shrinking drops the oldest slabs. */
  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.slabBytes = slabBytesFor(maxBytes);
    if (maxBytes === 0) this.clear();
    this.evictToBound(0);
    this.free = [];
  }

  /**
   * Copies the append `buf` (whole batches, offsets final) into the arena and returns the copy,
   * or undefined (the cache then starts afresh) when the cache is off, `buf` exceeds its bound,
   * or `buf` is not adopted and at least UNCACHED_APPEND_BYTES and 1/32 of the bound. With
   * `adopt` (the caller never modifies `buf` again) a large `buf` is kept itself instead, and
   * returned. `batches` are its batches in order (final baseOffsets); their sizes add up to
   * `buf.length`.
   */
  add(buf: Buffer, batches: readonly BatchMeta[], adopt = false): Buffer | undefined {
    if (this.maxBytes === 0) return undefined;
    const first = batches[0]!;
    // The index must stay in offset order (binary search): an append not above the cached end
    // (only possible around a truncation) starts the cache afresh.
    if (
      buf.length > this.maxBytes ||
      (this.count > 0 &&
        first.baseOffset <= this.lastOffsets[(this.head + this.count - 1) & (this.baseOffsets.length - 1)]!)
    ) {
      this.clear();
      if (buf.length > this.maxBytes) return undefined;
    }
    // A large append handed over by its caller becomes a slab of its own (no copy), never
    // recycled (the caller's references to it live on) but released when dropped (releaseAdopted).
    // One not handed over and large for the cache (it would stay cached for less than 32 appends
    // of its size) is not cached at all: copying megabytes per append costs the appender more than
    // the file reads it saves a tailing reader (figures in bench/RESULTS.md), and the cache starts
    // afresh after it.
    if (!adopt && buf.length >= Math.max(UNCACHED_APPEND_BYTES, this.maxBytes / 32)) {
      this.clear();
      return undefined;
    }
    const adopted = adopt && buf.length >= this.slabBytes / ADOPT_FRACTION;
    if (adopted) this.adoptSlab(buf);
    else if (this.slabCount === 0 || this.slabUsed + buf.length > this.slabs[this.slabs.length - 1]!.buf.length) {
      this.newSlab(Math.max(this.slabBytes, buf.length));
    }
    const current = this.slabs[this.slabs.length - 1]!;
    const slab = current.buf;
    const slabNo = this.firstSlab + this.slabs.length - 1 - this.slabHead;
    let position = this.slabUsed;
    if (!adopted) slab.set(buf, position); // TypedArray#set: a memcpy without a C++ call per append
    for (const b of batches) {
      if (this.count === this.baseOffsets.length) this.grow();
      const i = (this.head + this.count) & (this.baseOffsets.length - 1);
      this.baseOffsets[i] = b.baseOffset;
      this.lastOffsets[i] = b.baseOffset + b.lastOffsetDelta;
      this.slabOf[i] = slabNo;
      this.positions[i] = position;
      this.sizes[i] = b.size;
      this.count++;
      position += b.size;
    }
    assert(position === this.slabUsed + buf.length, "cached batch sizes disagree with the append");
    const last = batches[batches.length - 1]!;
    current.lastOffset = last.baseOffset + last.lastOffsetDelta;
    const copy = slab.subarray(this.slabUsed, position);
    this.slabUsed = position;
    return copy;
  }

  /** Drops the cached batches wholly below `offset` (the cache stays contiguous up to the end). */
  evictBelow(offset: number): void {
    const mask = this.baseOffsets.length - 1;
    while (this.count > 0 && this.lastOffsets[this.head]! < offset) {
      this.head = (this.head + 1) & mask;
      this.count--;
    }
    if (this.count === 0) {
      this.clear();
      return;
    }
    // Slabs before the one holding the first remaining batch hold nothing readable.
    const firstNeeded = this.slabOf[this.head]!;
    while (this.firstSlab < firstNeeded) this.dropOldestSlab();
    this.free = [];
  }

  clear(): void {
    this.free = [];
    this.reset();
  }

  private reset(): void {
    this.slabs = [];
    this.slabHead = 0;
    this.firstSlab = 0;
    this.slabUsed = 0;
    this.capacity = 0;
    this.head = 0;
    this.count = 0;
  }

  /**
   * Whole batches from the one containing `offset` (or the first after it), up to `maxBytes`
   * (the first batch always) and excluding batches reaching `maxOffset`. Adjacent batches of one
   * slab come back as one subarray. Undefined when the cache does not cover `offset`.
   */
  read(offset: number, maxBytes: number, maxOffset: number): CachedRead | undefined {
    if (this.count === 0 || offset < this.baseOffsets[this.head]!) return undefined;
    let k = this.findBatch(offset);
    if (k < 0) return undefined;
    const mask = this.baseOffsets.length - 1;
    const buffers: Buffer[] = [];
    let bytes = 0;
    let firstOffset = -1;
    let runSlab = -1;
    let runStart = 0;
    let runEnd = 0;
    for (; k < this.count; k++) {
      const i = (this.head + k) & mask;
      const size = this.sizes[i]!;
      if (this.lastOffsets[i]! >= maxOffset) break;
      if (firstOffset >= 0 && bytes + size > maxBytes) break;
      if (firstOffset < 0) firstOffset = this.baseOffsets[i]!;
      const slab = this.slabOf[i]!;
      const position = this.positions[i]!;
      // Batches of one slab are contiguous in it (slabs are filled in offset order, never reused).
      if (slab !== runSlab) {
        if (runSlab >= 0) buffers.push(this.slice(runSlab, runStart, runEnd));
        runSlab = slab;
        runStart = position;
      }
      runEnd = position + size;
      bytes += size;
    }
    if (runSlab >= 0) buffers.push(this.slice(runSlab, runStart, runEnd));
    return { buffers, bytes, firstOffset };
  }

  private slice(slabNo: number, start: number, end: number): Buffer {
    const slab = this.slabs[this.slabHead + slabNo - this.firstSlab]!;
    slab.lent = true;
    return slab.buf.subarray(start, end);
  }

  /** Ring position (0 = oldest) of the first batch with lastOffset >= offset, or -1. */
  private findBatch(offset: number): number {
    const mask = this.baseOffsets.length - 1;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastOffsets[(this.head + mid) & mask]! >= offset) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found;
  }

  private adoptSlab(buf: Buffer): void {
    this.evictToBound(buf.length);
    this.pushSlab({ buf, lent: false, adopted: true, lastOffset: -1 });
  }

  private newSlab(size: number): void {
    this.evictToBound(size);
    // Buffer.allocUnsafeSlow: a dedicated ArrayBuffer, never a slice of Node's shared pool.
    const spare = size === this.slabBytes ? this.free.pop() : undefined;
    this.free = [];
    this.pushSlab({ buf: spare ?? Buffer.allocUnsafeSlow(size), lent: false, adopted: false, lastOffset: -1 });
  }

  private pushSlab(slab: Slab): void {
    this.slabs.push(slab);
    this.capacity += slab.buf.length;
    this.slabUsed = 0;
    if (this.slabHead > 64 && this.slabHead * 2 > this.slabs.length) {
      this.slabs = this.slabs.slice(this.slabHead);
      this.slabHead = 0;
    }
  }

  /** Drops the oldest slabs until `extra` more bytes fit in the bound. */
  private evictToBound(extra: number): void {
    while (this.slabCount > 0 && this.capacity + extra > this.maxBytes) this.dropOldestSlab();
  }

  private dropOldestSlab(): void {
    const mask = this.baseOffsets.length - 1;
    while (this.count > 0 && this.slabOf[this.head] === this.firstSlab) {
      this.head = (this.head + 1) & mask;
      this.count--;
    }
    const slab = this.slabs[this.slabHead]!;
    this.capacity -= slab.buf.length;
    this.slabs[this.slabHead++] = undefined as unknown as Slab;
    if (!slab.lent && slab.lastOffset < this.writtenEnd()) {
      if (slab.adopted) releaseAdopted(slab.buf);
      else if (slab.buf.length === this.slabBytes && this.free.length < MAX_FREE_SLABS) this.free.push(slab.buf);
    }
    this.firstSlab++;
    if (this.slabCount === 0) this.reset();
  }

  /** Doubles the index ring, unrolling it to start at 0. */
  private grow(): void {
    const ring = this.baseOffsets.length;
    const unroll = <T extends Float64Array | Int32Array>(a: T, b: T): T => {
      for (let k = 0; k < this.count; k++) b[k] = a[(this.head + k) & (ring - 1)]!;
      return b;
    };
    this.baseOffsets = unroll(this.baseOffsets, new Float64Array(ring * 2));
    this.lastOffsets = unroll(this.lastOffsets, new Float64Array(ring * 2));
    this.slabOf = unroll(this.slabOf, new Int32Array(ring * 2));
    this.positions = unroll(this.positions, new Int32Array(ring * 2));
    this.sizes = unroll(this.sizes, new Int32Array(ring * 2));
    this.head = 0;
  }
}

/**
 * Frees the memory of a dropped adopted append now rather than whenever the GC gets to its
 * Buffer: a buffer that lived in the cache for a while is likely in V8's old generation by then,
 * and with a steady stream of large appends each new append drew fresh, cold memory (more page
 * faults and mark-compacts per GiB, slower appends than with the cache off; see bench/RESULTS.md).
 * Moving the memory into a new, unreferenced ArrayBuffer (a transfer, no copy)
 * leaves it to the next scavenge. Only for a buffer spanning an ArrayBuffer of its own: the caller
 * handed it over (`transfer`), nothing the cache lent out refers to it, and it is written. Its
 * holders' views read as empty from then on.
 */
function releaseAdopted(buf: Buffer): void {
  const memory = buf.buffer;
  if (buf.byteOffset !== 0 || buf.byteLength !== memory.byteLength || !(memory instanceof ArrayBuffer)) return;
  try {
    structuredClone(memory, { transfer: [memory] });
  } catch {
    // Not transferable (e.g. marked untransferable): the GC frees it in its own time.
  }
}
