// In-memory tail of the log: the buffers of recent appends, in offset order and contiguous up to
// the log end offset, bounded in bytes. Tailing consumers and followers read from here as
// zero-copy subarrays instead of touching the file.
import { LAST_OFFSET_DELTA_OFFSET, batchSizeAt } from "@gregor/protocol";
import { readInt64 } from "./batch.js";

interface Entry {
  buf: Buffer;
  baseOffset: number;
  lastOffset: number;
}

export interface CachedRead {
  buffers: Buffer[];
  bytes: number;
  firstOffset: number;
}

export class TailCache {
  private entries: Entry[] = [];
  private head = 0;
  private cachedBytes = 0;
  private maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Changes the bound; shrinking evicts the oldest entries. */
  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    if (maxBytes === 0) this.clear();
    while (this.cachedBytes > this.maxBytes) {
      this.cachedBytes -= this.entries[this.head]!.buf.length;
      this.entries[this.head++] = undefined as unknown as Entry;
    }
  }

  get bytes(): number {
    return this.cachedBytes;
  }

  add(buf: Buffer, baseOffset: number, lastOffset: number): void {
    if (this.maxBytes === 0) return;
    if (buf.length > this.maxBytes) {
      this.clear();
      return;
    }
    this.entries.push({ buf, baseOffset, lastOffset });
    this.cachedBytes += buf.length;
    while (this.cachedBytes > this.maxBytes) {
      this.cachedBytes -= this.entries[this.head]!.buf.length;
      this.entries[this.head++] = undefined as unknown as Entry;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops the cached appends wholly below `offset` (the cache stays contiguous up to the end). */
  evictBelow(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.lastOffset < offset) {
      this.cachedBytes -= this.entries[this.head]!.buf.length;
      this.entries[this.head++] = undefined as unknown as Entry;
    }
    if (this.head === this.entries.length) this.clear();
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.cachedBytes = 0;
  }

  /**
   * Whole batches from the one containing `offset` (or the first after it), up to `maxBytes`
   * (the first batch always) and excluding batches reaching `maxOffset`. Undefined when the cache
   * does not cover `offset`.
   */
  read(offset: number, maxBytes: number, maxOffset: number): CachedRead | undefined {
    const first = this.entries[this.head];
    if (first === undefined || offset < first.baseOffset) return undefined;
    let i = this.findEntry(offset);
    if (i < 0) return undefined;
    const buffers: Buffer[] = [];
    let bytes = 0;
    let firstOffset = -1;
    let entry = this.entries[i]!;
    let pos = this.seek(entry.buf, entry.baseOffset, offset);
    while (bytes < maxBytes || buffers.length === 0) {
      // Fast path: the rest of the entry fits.
      const rest = entry.buf.length - pos;
      if (pos === 0 && entry.lastOffset < maxOffset && bytes + rest <= maxBytes) {
        if (firstOffset < 0) firstOffset = entry.baseOffset;
        buffers.push(entry.buf);
        bytes += rest;
      } else {
        const start = pos;
        while (pos < entry.buf.length) {
          const size = batchSizeAt(entry.buf, pos);
          const last = readInt64(entry.buf, pos) + entry.buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
          if (last >= maxOffset || (bytes + (pos - start) + size > maxBytes && (buffers.length > 0 || pos > start))) break;
          if (firstOffset < 0) firstOffset = readInt64(entry.buf, pos);
          pos += size;
        }
        if (pos > start) {
          buffers.push(entry.buf.subarray(start, pos));
          bytes += pos - start;
        }
        if (pos < entry.buf.length) break;
      }
      i++;
      const next = this.entries[i];
      if (next === undefined) break;
      entry = next;
      pos = 0;
    }
    return { buffers, bytes, firstOffset };
  }

  /** Entry index of the first entry with lastOffset >= offset, or -1. */
  private findEntry(offset: number): number {
    let lo = this.head;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset >= offset) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found;
  }

  /** Position of the first batch in `buf` whose last offset is >= offset. */
  private seek(buf: Buffer, baseOffset: number, offset: number): number {
    if (offset <= baseOffset) return 0;
    let pos = 0;
    while (pos < buf.length) {
      const last = readInt64(buf, pos) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
      if (last >= offset) return pos;
      pos += batchSizeAt(buf, pos);
    }
    return pos;
  }
}
