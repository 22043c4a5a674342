// An in-memory replica log for the fetcher simulation: whole v2 batches with the offsets and leader
// epochs they carry, Kafka's leader-epoch lookup (endOffsetFor over the epochs of the held batches),
// CRC-checked follower appends, and the reads a leader serves. Test double only.
import {
  encodeRecordBatch,
  isBatchCrcValid,
  LAST_OFFSET_DELTA_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from "@gregor/protocol";
import type { EpochEndOffset, FollowerLog } from "../../src/follower/index.js";

export interface SimBatch {
  base: number;
  last: number;
  epoch: number;
  buf: Buffer;
}

export class SimLog implements FollowerLog {
  batches: SimBatch[] = [];
  /** Kafka's leader-epoch cache: where each epoch starts (a lower epoch after a higher is ignored). */
  epochs: { epoch: number; start: number }[] = [];
  /** The batches the last truncation removed (the simulation checks none was committed). */
  removed: SimBatch[] = [];
  logStartOffset = 0;
  logEndOffset = 0;
  private hw = 0;

  get highWatermark(): number {
    return Math.max(this.logStartOffset, Math.min(this.hw, this.logEndOffset));
  }
  setHighWatermark(offset: number): void {
    if (offset > this.logEndOffset) throw new Error(`HW ${offset} past the log end ${this.logEndOffset}`);
    this.hw = offset;
  }
  get latestEpoch(): number {
    return this.epochs.at(-1)?.epoch ?? -1;
  }

  /** Kafka's leader, on taking over at `epoch`, records where the epoch starts (KIP-101). */
  assignEpochStartOffset(epoch: number, offset: number): void {
    const latest = this.epochs.at(-1);
    if (latest === undefined || epoch > latest.epoch) this.epochs.push({ epoch, start: offset });
  }

  /** Leader append: assigns offsets from the log end and stamps the epoch (not covered by the CRC). */
  appendAsLeader(records: number, epoch: number, tag: string): SimBatch {
    const buf = encodeRecordBatch({
      records: Array.from({ length: records }, (_, i) => ({ value: Buffer.from(`${tag}-${i}`), timestamp: 1000 + i })),
    });
    setBaseOffset(buf, BigInt(this.logEndOffset));
    setPartitionLeaderEpoch(buf, epoch);
    const b = { base: this.logEndOffset, last: this.logEndOffset + records - 1, epoch, buf };
    this.batches.push(b);
    this.assignEpochStartOffset(epoch, b.base);
    this.logEndOffset = b.last + 1;
    return b;
  }

  appendAsFollower(records: Buffer): Promise<unknown> {
    const parsed: SimBatch[] = [];
    let next = this.logEndOffset;
    for (let pos = 0; pos < records.length; ) {
      const size = 12 + records.readInt32BE(pos + 8);
      const buf = Buffer.from(records.subarray(pos, pos + size));
      if (buf.length !== size || !isBatchCrcValid(buf)) return Promise.reject(new Error("CORRUPT_MESSAGE"));
      const base = Number(buf.readBigInt64BE(0));
      if (base < next) return Promise.reject(new Error(`INVALID_RECORD: batch ${base} below ${next}`));
      const last = base + buf.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
      parsed.push({ base, last, epoch: buf.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET), buf });
      next = last + 1;
      pos += size;
    }
    this.batches.push(...parsed);
    for (const b of parsed) this.assignEpochStartOffset(b.epoch, b.base);
    this.logEndOffset = next;
    return Promise.resolve();
  }

  truncateTo(offset: number): Promise<void> {
    if (offset >= this.logEndOffset) {
      // Kafka's UnifiedLog.truncateTo: even a no-op drops epochs starting at the log end (a leader
      // that recorded its epoch and appended nothing), or the follower would keep sending it.
      this.epochs = this.epochs.filter((e) => e.start < this.logEndOffset);
      return Promise.resolve();
    }
    if (offset <= this.logStartOffset) return this.truncateFullyAndStartAt(offset);
    this.removed = [];
    while (this.batches.length > 0 && this.batches.at(-1)!.last >= offset) {
      const b = this.batches.pop()!;
      this.removed.push(b);
      this.logEndOffset = b.base;
    }
    this.epochs = this.epochs.filter((e) => e.start < this.logEndOffset);
    this.hw = Math.min(this.hw, this.logEndOffset);
    return Promise.resolve();
  }

  truncateFullyAndStartAt(offset: number): Promise<void> {
    this.removed = this.batches;
    this.batches = [];
    this.epochs = [];
    this.logStartOffset = this.logEndOffset = this.hw = offset;
    return Promise.resolve();
  }

  deleteRecordsBefore(offset: number): Promise<number> {
    if (offset > this.logStartOffset) {
      this.logStartOffset = offset;
      this.batches = this.batches.filter((b) => b.last >= offset);
      // The epoch covering the new start now starts there; earlier ones go.
      const covering = this.epochs.findLast((e) => e.start <= offset);
      this.epochs = this.epochs.filter((e) => e.start > offset);
      if (covering !== undefined) this.epochs.unshift({ epoch: covering.epoch, start: offset });
    }
    return Promise.resolve(this.logStartOffset);
  }

  /** Kafka's LeaderEpochFileCache.endOffsetFor over the epochs the held batches carry. */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    if (epoch < 0) return { leaderEpoch: -1, endOffset: -1 };
    if (epoch === this.latestEpoch) return { leaderEpoch: epoch, endOffset: this.logEndOffset };
    const higher = this.epochs.find((e) => e.epoch > epoch);
    if (higher === undefined) return { leaderEpoch: -1, endOffset: -1 };
    const floor = this.epochs.findLast((e) => e.epoch <= epoch);
    return { leaderEpoch: floor?.epoch ?? epoch, endOffset: higher.start };
  }

  /** Whole batches from the one containing `offset`, at least one, up to maxBytes. */
  read(offset: number, maxBytes: number): Buffer[] {
    const out: Buffer[] = [];
    let bytes = 0;
    for (const b of this.batches) {
      if (b.last < offset) continue;
      if (out.length > 0 && bytes + b.buf.length > maxBytes) break;
      out.push(b.buf);
      bytes += b.buf.length;
    }
    return out;
  }
}
