// An in-memory PartitionLog: batches kept as byte slices in offset order. Used when the data dir is
// ":memory:" (fast unit tests) and as the reference the storage-backed log is compared with.
import { PARTITION_LEADER_EPOCH_OFFSET, setBaseOffset, setPartitionLeaderEpoch } from "@gregor/protocol";
import { type BatchMeta, type ValidateLimits, validateBatches } from "@gregor/storage";
import type { TopicLogConfig } from "../config/topic-config.js";
import {
  type AppendResult,
  type LogFactory,
  LogError,
  type PartitionLog,
  type TimestampOffset,
} from "./partition-log.js";

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
  buf: Buffer;
}

export class MemoryLog implements PartitionLog {
  private readonly batches: StoredBatch[] = [];
  private start = 0;
  private end = 0;
  private bytes = 0;

  constructor(private config: TopicLogConfig) {}

  /** No segments here: only max.message.bytes bounds an append. */
  private get limits(): ValidateLimits {
    return { maxMessageBytes: this.config.maxMessageBytes, segmentBytes: Number.MAX_SAFE_INTEGER };
  }

  get logStartOffset(): number {
    return this.start;
  }
  get logEndOffset(): number {
    return this.end;
  }
  /** -1 until replication first sets it: until then the log end offset. */
  private hw = -1;
  get highWatermark(): number {
    if (this.hw < 0) return this.end;
    return Math.max(this.start, Math.min(this.hw, this.end));
  }
  setHighWatermark(offset: number): void {
    this.hw = Math.max(this.start, Math.min(offset, this.end));
  }
  followLogEnd(): void {
    this.hw = -1;
  }
  /** Epochs here come from the batches themselves; an epoch with no batch yet is not recorded. */
  assignEpochStartOffset(_epoch: number, _startOffset: number): Promise<void> {
    return Promise.resolve();
  }
  get latestEpoch(): number {
    return this.batches.at(-1)?.leaderEpoch ?? -1;
  }

  append(records: Buffer, leaderEpoch: number): Promise<AppendResult> {
    // The storage engine's validation (framing, magic, CRC, sizes, record counts), so both logs
    // refuse the same input with the same error; it rejects with a StorageError naming Kafka's code.
    let metas: BatchMeta[];
    try {
      metas = validateBatches(records, this.limits, true);
    } catch (e) {
      return Promise.reject(e);
    }
    // Own the bytes: the request frame they came in may be reused by the socket layer.
    const copy = Buffer.from(records);
    const baseOffset = this.end;
    for (const m of metas) {
      const buf = copy.subarray(m.pos, m.pos + m.size);
      const count = m.lastOffsetDelta + 1;
      setBaseOffset(buf, BigInt(this.end));
      setPartitionLeaderEpoch(buf, leaderEpoch);
      this.batches.push({
        baseOffset: this.end,
        lastOffset: this.end + count - 1,
        maxTimestamp: m.maxTimestamp,
        leaderEpoch,
        buf,
      });
      this.end += count;
      this.bytes += m.size;
    }
    this.enforceRetention();
    return Promise.resolve({ baseOffset, lastOffset: this.end - 1, logAppendTimeMs: -1, logStartOffset: this.start });
  }

  private enforceRetention(): void {
    const limit = this.config.retentionBytes;
    if (limit < 0) return;
    while (this.bytes > limit && this.batches.length > 1) {
      const b = this.batches.shift()!;
      this.bytes -= b.buf.length;
      this.start = b.lastOffset + 1;
    }
  }

  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Keeps the leader's offsets and epochs; the first batch must start at the log end offset. */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    let metas: BatchMeta[];
    try {
      metas = validateBatches(records, this.limits, false);
    } catch (e) {
      return Promise.reject(e);
    }
    const copy = Buffer.from(records);
    const baseOffset = this.end;
    for (const m of metas) {
      const buf = copy.subarray(m.pos, m.pos + m.size);
      const first = Number(buf.readBigInt64BE(0));
      if (first < this.end)
        return Promise.reject(
          new LogError("INVALID_RECORD", `follower batch at ${first} below the log end ${this.end}`),
        );
      const lastOffset = first + m.lastOffsetDelta;
      const leaderEpoch = buf.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET);
      this.batches.push({ baseOffset: first, lastOffset, maxTimestamp: m.maxTimestamp, leaderEpoch, buf });
      this.end = lastOffset + 1;
      this.bytes += m.size;
    }
    this.enforceRetention();
    return Promise.resolve({ baseOffset, lastOffset: this.end - 1, logAppendTimeMs: -1, logStartOffset: this.start });
  }

  truncateTo(offset: number): Promise<void> {
    if (offset >= this.end) return Promise.resolve();
    if (offset <= this.start) return this.truncateFullyAndStartAt(Math.max(offset, this.start));
    while (this.batches.length > 0 && this.batches.at(-1)!.lastOffset >= offset) {
      const b = this.batches.pop()!;
      this.bytes -= b.buf.length;
      this.end = b.baseOffset;
    }
    return Promise.resolve();
  }

  truncateFullyAndStartAt(offset: number): Promise<void> {
    this.batches.length = 0;
    this.bytes = 0;
    this.start = this.end = offset;
    return Promise.resolve();
  }

  read(offset: number, maxBytes: number, minOneBatch: boolean, maxOffset = Infinity): Buffer[] {
    if (offset < this.start || offset > this.end)
      throw new LogError("OFFSET_OUT_OF_RANGE", `offset ${offset} out of range [${this.start}, ${this.end}]`);
    const out: Buffer[] = [];
    if (offset === this.end) return out;
    let total = 0;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      if (this.batches[i]!.lastOffset >= maxOffset) break;
      const b = this.batches[i]!.buf;
      if (total + b.length > maxBytes && !(minOneBatch && out.length === 0)) break;
      out.push(b);
      total += b.length;
    }
    return out;
  }

  offsetForTimestamp(timestamp: number): TimestampOffset | null {
    for (const b of this.batches) {
      if (b.maxTimestamp >= timestamp && b.lastOffset >= this.start)
        return { offset: Math.max(b.baseOffset, this.start), timestamp: b.maxTimestamp, leaderEpoch: b.leaderEpoch };
    }
    return null;
  }

  maxTimestampOffset(): TimestampOffset | null {
    let best: StoredBatch | undefined;
    for (const b of this.batches) if (best === undefined || b.maxTimestamp > best.maxTimestamp) best = b;
    return best === undefined
      ? null
      : { offset: best.lastOffset, timestamp: best.maxTimestamp, leaderEpoch: best.leaderEpoch };
  }

  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    const latest = this.latestEpoch;
    if (epoch >= latest) return { leaderEpoch: latest < 0 ? epoch : latest, endOffset: this.end };
    for (const b of this.batches) if (b.leaderEpoch > epoch) return { leaderEpoch: epoch, endOffset: b.baseOffset };
    return { leaderEpoch: -1, endOffset: -1 };
  }

  deleteRecordsBefore(offset: number): Promise<number> {
    if (offset > this.end)
      return Promise.reject(new LogError("OFFSET_OUT_OF_RANGE", `offset ${offset} is beyond the log end ${this.end}`));
    if (offset > this.start) {
      this.start = offset;
      while (this.batches.length > 0 && this.batches[0]!.lastOffset < offset)
        this.bytes -= this.batches.shift()!.buf.length;
    }
    return Promise.resolve(this.start);
  }

  updateConfig(config: TopicLogConfig): void {
    this.config = config;
    this.enforceRetention();
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  delete(): Promise<void> {
    this.batches.length = 0;
    return Promise.resolve();
  }
}

export const memoryLogFactory: LogFactory = {
  open: (_topic, _partition, config) => Promise.resolve(new MemoryLog(config)),
  close: () => Promise.resolve(),
};
