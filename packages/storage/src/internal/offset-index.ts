// Sparse offset index of one segment, Kafka's `.index` layout: entries of
// (4-byte offset relative to the segment's baseOffset, 4-byte file position), both increasing.
// Held in memory as a growable Buffer; the segment writes it to disk on roll, flush and close.
import { assert } from "@gregor/protocol/util";
import { SparseIndex } from "./sparse-index.js";

const ENTRY_BYTES = 8;

export class OffsetIndex extends SparseIndex {
  constructor(baseOffset: number, maxIndexBytes: number) {
    super(baseOffset, maxIndexBytes, ENTRY_BYTES);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * ENTRY_BYTES);
  }

  positionAt(i: number): number {
    return this.buf.readInt32BE(i * ENTRY_BYTES + 4);
  }

  append(offset: number, position: number): void {
    assert(!this.isFull, "offset index is full");
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `offset ${offset} not relative to ${this.baseOffset}`);
    if (this.count > 0) {
      assert(relative > this.buf.readInt32BE((this.count - 1) * ENTRY_BYTES), "index offsets must increase");
      assert(position > this.positionAt(this.count - 1), "index positions must increase");
    }
    this.ensureRoom(this.maxEntries);
    this.buf.writeInt32BE(relative, this.count * ENTRY_BYTES);
    this.buf.writeInt32BE(position, this.count * ENTRY_BYTES + 4);
    this.count++;
  }

  /** File position of the last entry whose offset is <= target (0 when none). */
  lookup(targetOffset: number): number {
    const i = this.floorSlot(targetOffset);
    return i < 0 ? 0 : this.positionAt(i);
  }

  /** Index of the last entry with offset <= target, or -1. */
  floorSlot(targetOffset: number): number {
    const relative = targetOffset - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buf.readInt32BE(mid * ENTRY_BYTES) <= relative) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Drops entries pointing at or beyond `position` (the log was truncated there). */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.positionAt(this.count - 1) >= position) this.count--;
  }

  /**
   * Loads an index read from disk. Returns undefined when the bytes cannot be a valid index for
   * a log of `logBytes` bytes (Kafka's sanity check): the caller then rebuilds it from the log.
   */
  static load(baseOffset: number, maxIndexBytes: number, data: Buffer, logBytes: number): OffsetIndex | undefined {
    if (data.length % ENTRY_BYTES !== 0) return undefined;
    const index = new OffsetIndex(baseOffset, maxIndexBytes);
    const n = data.length / ENTRY_BYTES;
    if (n > index.maxEntries) return undefined;
    let prevRelative = -1;
    let prevPosition = -1;
    for (let i = 0; i < n; i++) {
      const relative = data.readInt32BE(i * ENTRY_BYTES);
      const position = data.readInt32BE(i * ENTRY_BYTES + 4);
      if (relative <= prevRelative || position <= prevPosition || position >= logBytes) return undefined;
      prevRelative = relative;
      prevPosition = position;
    }
    index.adopt(data);
    return index;
  }
}
