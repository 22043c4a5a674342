// Sparse time index of one segment, Kafka's `.timeindex` layout: entries of (8-byte timestamp,
// 4-byte offset relative to baseOffset); timestamps strictly increase (an entry is only added
// when the segment's max timestamp so far grew).
import { assert } from "@gregor/protocol/util";
import { readInt64, writeInt64 } from "./batch.js";
import { SparseIndex } from "./sparse-index.js";

const ENTRY_BYTES = 12;

export interface TimeIndexEntry {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends SparseIndex {
  constructor(baseOffset: number, maxIndexBytes: number) {
    super(baseOffset, maxIndexBytes, ENTRY_BYTES);
  }

  entryAt(i: number): TimeIndexEntry {
    return {
      timestamp: readInt64(this.buf, i * ENTRY_BYTES),
      offset: this.baseOffset + this.buf.readInt32BE(i * ENTRY_BYTES + 8),
    };
  }

  lastEntry(): TimeIndexEntry | undefined {
    return this.count === 0 ? undefined : this.entryAt(this.count - 1);
  }

  /** Appends when `timestamp` is larger than the last entry's (Kafka's maybeAppend). */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    if (timestamp < 0) return;
    const last = this.lastEntry();
    if (last !== undefined && timestamp <= last.timestamp) return;
    if (this.isFull && !force) return;
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `offset ${offset} not relative to ${this.baseOffset}`);
    assert(last === undefined || offset >= last.offset, "time index offsets must not decrease");
    this.ensureRoom(Number.MAX_SAFE_INTEGER); // may pass maxEntries by the one entry forced at roll
    writeInt64(this.buf, timestamp, this.count * ENTRY_BYTES);
    this.buf.writeInt32BE(relative, this.count * ENTRY_BYTES + 8);
    this.count++;
  }

  /** Last entry whose timestamp is strictly below `targetTimestamp`, if any. */
  lookupBelow(targetTimestamp: number): TimeIndexEntry | undefined {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (readInt64(this.buf, mid * ENTRY_BYTES) < targetTimestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? undefined : this.entryAt(found);
  }

  /** Drops entries whose offset is >= `offset`. */
  truncateToOffset(offset: number): void {
    while (this.count > 0 && this.entryAt(this.count - 1).offset >= offset) this.count--;
  }

  /** Loads from disk; undefined when the bytes fail the sanity check (caller rebuilds). */
  static load(baseOffset: number, maxIndexBytes: number, data: Buffer, nextOffset: number): TimeIndex | undefined {
    if (data.length % ENTRY_BYTES !== 0) return undefined;
    const index = new TimeIndex(baseOffset, maxIndexBytes);
    const n = data.length / ENTRY_BYTES;
    if (n > index.maxEntries + 1) return undefined; // +1: the final entry written at roll
    let prevTimestamp = -1;
    let prevRelative = -1;
    for (let i = 0; i < n; i++) {
      const timestamp = readInt64(data, i * ENTRY_BYTES);
      const relative = data.readInt32BE(i * ENTRY_BYTES + 8);
      if (timestamp <= prevTimestamp || relative < prevRelative || baseOffset + relative >= nextOffset) {
        return undefined;
      }
      prevTimestamp = timestamp;
      prevRelative = relative;
    }
    index.adopt(data);
    return index;
  }
}
