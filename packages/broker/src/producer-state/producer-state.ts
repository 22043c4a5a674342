// Idempotent producers (KIP-98): the per-partition producer state. A batch must continue its
// producer's sequence on that partition; a retried batch (same sequences as one of the producer's
// last 5 on that partition, as Kafka keeps) is a duplicate and is acknowledged with the original
// offset instead of being appended again.
//
// The state follows the log: every batch that reaches the log (a leader's append once stamped with
// its offset, a follower's append, a recovery scan) goes through `applyLogged`, so a follower that
// becomes leader already knows its producers, and the state can be snapshotted at any offset and
// rebuilt from a snapshot plus the log after it (Kafka's ProducerStateManager). On top of that the
// leader's Produce path checks and reserves batches before their append is written (`begin`), so
// pipelined batches of one producer are checked in arrival order. Pure: no I/O, no clock.
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  CONTROL_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from "@gregor/protocol";

/** One accepted batch of a producer on a partition. */
export interface BatchEntry {
  firstSeq: number;
  lastSeq: number;
  /** The batch's base offset, or a promise of it while its append is still being written. */
  baseOffset: number | Promise<number>;
  /** The batch's last offset; -1 until the log assigned it. */
  lastOffset: number;
}

export interface ProducerEntry {
  epoch: number;
  /** The producer's last accepted batches, oldest first, at most BATCHES_KEPT. */
  batches: BatchEntry[];
  /** Largest batch max timestamp seen (Kafka expires producers by it: producer.id.expiration.ms). */
  lastTimestamp: number;
  /** First offset of the producer's open transaction, -1 if none (transactions, issue 16). */
  currentTxnFirstOffset: number;
}

export type SequenceCheck =
  | { kind: "ok" }
  | { kind: "duplicate"; baseOffset: number | Promise<number> }
  | { kind: "error"; errorCode: number };

/** A producer batch as it stands in the log (from a batch header). */
export interface LoggedBatch {
  producerId: bigint;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** A producer's state as of some offset, with only logged batches (what a snapshot holds). */
export interface SnapshotEntry {
  producerId: bigint;
  epoch: number;
  lastTimestamp: number;
  currentTxnFirstOffset: number;
  batches: { firstSeq: number; lastSeq: number; baseOffset: number; lastOffset: number }[];
}

/** Kafka keeps metadata of a producer's last 5 batches per partition (max.in.flight with idempotence). */
export const BATCHES_KEPT = 5;
const MAX_SEQUENCE = 0x7fffffff;
const INVALID_PRODUCER_EPOCH = 47;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const TWO_32 = 4294967296;

/** Per-partition producer state; bounded (the least recently written producers are forgotten past maxProducers). */
export class PartitionProducerState {
  private readonly producers = new Map<bigint, ProducerEntry>();
  constructor(private readonly maxProducers = 10_000) {}

  get size(): number {
    return this.producers.size;
  }

  /** The producer's entry (tests, DescribeProducers later); undefined if unknown here. */
  entry(producerId: bigint): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const e = this.producers.get(producerId);
    if (e === undefined) return { kind: "ok" };
    if (epoch < e.epoch) return { kind: "error", errorCode: INVALID_PRODUCER_EPOCH };
    if (epoch > e.epoch)
      return firstSeq === 0 ? { kind: "ok" } : { kind: "error", errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER };
    for (const b of e.batches)
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: "duplicate", baseOffset: b.baseOffset };
    const last = e.batches[e.batches.length - 1];
    if (last === undefined) return { kind: "ok" };
    const expected = last.lastSeq === MAX_SEQUENCE ? 0 : last.lastSeq + 1;
    // Neither one of the kept batches nor the next sequence: OUT_OF_ORDER_SEQUENCE_NUMBER, as Kafka
    // since 1.0 answers, also for a sequence below the last one. DUPLICATE_SEQUENCE_NUMBER would tell
    // the client its batch is in the log (librdkafka and Java treat it as written): found by the fault
    // suite (seed 12), where a new leader that had accepted a later batch first answered the resent
    // earlier ones so, and 71 acknowledged records were never written.
    if (firstSeq !== expected) return { kind: "error", errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER };
    return { kind: "ok" };
  }

  /**
   * Accepts a checked batch before its append is written, so pipelined batches of one producer
   * (up to 5 in flight) are checked against each other in arrival order, not in completion order.
   * Returns `settle(baseOffset)` to call once written, or with -1 if the append failed (the batch
   * is then forgotten, and a retry of it is appended anew).
   */
  begin(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): (baseOffset: number) => void {
    let e = this.producers.get(producerId);
    if (e === undefined || e.epoch !== epoch) e = newEntry(epoch, e);
    let settle!: (baseOffset: number) => void;
    const promise = new Promise<number>((resolve) => (settle = resolve));
    const batch: BatchEntry = { firstSeq, lastSeq, baseOffset: promise, lastOffset: -1 };
    pushBatch(e, batch);
    this.set(producerId, e);
    const entry = e;
    return (baseOffset: number) => {
      settle(baseOffset);
      if (baseOffset >= 0) {
        if (batch.lastOffset < 0) batch.lastOffset = baseOffset + (lastSeq - firstSeq);
        batch.baseOffset = baseOffset;
      } else {
        const i = entry.batches.indexOf(batch);
        if (i >= 0) entry.batches.splice(i, 1);
      }
    };
  }

  /**
   * A batch now in the log. A batch reserved by `begin` gets its offsets; any other (a follower's
   * append, a recovery scan, an unchecked multi-batch append) is recorded as Kafka's follower path
   * does: no sequence check, a new epoch starts a new entry.
   */
  applyLogged(b: LoggedBatch): void {
    let e = this.producers.get(b.producerId);
    if (e !== undefined && e.epoch === b.epoch) {
      for (const kept of e.batches) {
        if (kept.firstSeq !== b.firstSeq || kept.lastSeq !== b.lastSeq) continue;
        if (typeof kept.baseOffset === "number" && kept.baseOffset !== b.baseOffset) continue;
        kept.baseOffset = b.baseOffset;
        kept.lastOffset = b.lastOffset;
        if (b.maxTimestamp > e.lastTimestamp) e.lastTimestamp = b.maxTimestamp;
        return;
      }
    }
    if (e === undefined || e.epoch !== b.epoch) e = newEntry(b.epoch, e);
    pushBatch(e, { firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: b.baseOffset, lastOffset: b.lastOffset });
    if (b.maxTimestamp > e.lastTimestamp) e.lastTimestamp = b.maxTimestamp;
    this.set(b.producerId, e);
  }

  /** Every idempotent batch of a record set whose offsets are assigned (the log's append hook). */
  applyRecords(records: Buffer): void {
    forEachProducerBatch(records, (b) => this.applyLogged(b));
  }

  /** The state as of `beforeOffset`: producers with their logged batches below it (for a snapshot). */
  snapshotEntries(beforeOffset: number): SnapshotEntry[] {
    const out: SnapshotEntry[] = [];
    for (const [producerId, e] of this.producers) {
      const batches: SnapshotEntry["batches"] = [];
      for (const b of e.batches) {
        if (typeof b.baseOffset !== "number" || b.lastOffset < 0 || b.lastOffset >= beforeOffset) continue;
        batches.push({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: b.baseOffset, lastOffset: b.lastOffset });
      }
      if (batches.length === 0) continue;
      out.push({
        producerId,
        epoch: e.epoch,
        lastTimestamp: e.lastTimestamp,
        currentTxnFirstOffset: e.currentTxnFirstOffset,
        batches,
      });
    }
    return out;
  }

  /** Replaces the state with a snapshot's. */
  load(entries: readonly SnapshotEntry[]): void {
    this.producers.clear();
    for (const s of entries) {
      const batches = s.batches.slice(-BATCHES_KEPT).map((b) => ({ ...b }));
      this.set(s.producerId, {
        epoch: s.epoch,
        batches,
        lastTimestamp: s.lastTimestamp,
        currentTxnFirstOffset: s.currentTxnFirstOffset,
      });
    }
  }

  clear(): void {
    this.producers.clear();
  }

  private set(producerId: bigint, entry: ProducerEntry): void {
    this.producers.delete(producerId);
    this.producers.set(producerId, entry);
    if (this.producers.size > this.maxProducers) {
      const oldest = this.producers.keys().next().value;
      if (oldest !== undefined) this.producers.delete(oldest);
    }
  }
}

function newEntry(epoch: number, previous: ProducerEntry | undefined): ProducerEntry {
  return { epoch, batches: [], lastTimestamp: previous?.lastTimestamp ?? -1, currentTxnFirstOffset: -1 };
}

function pushBatch(e: ProducerEntry, batch: BatchEntry): void {
  e.batches.push(batch);
  if (e.batches.length > BATCHES_KEPT) e.batches.shift();
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

/**
 * Calls `visit` for each batch of `records` (whole v2 batches, offsets assigned) written by an
 * idempotent producer, from the batch headers only. Control batches (transaction markers) carry
 * no sequence and are skipped. Stops at a truncated batch.
 */
export function forEachProducerBatch(records: Buffer, visit: (b: LoggedBatch) => void): void {
  let pos = 0;
  while (pos + RECORD_BATCH_OVERHEAD <= records.length) {
    const size = LOG_OVERHEAD + records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > records.length) return;
    const control = (records.readInt16BE(pos + ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) !== 0;
    if (!control && records.readInt8(pos + PRODUCER_ID_OFFSET) >= 0) {
      const producerId = records.readBigInt64BE(pos + PRODUCER_ID_OFFSET);
      const baseOffset = readInt64(records, pos + BASE_OFFSET_OFFSET);
      const delta = records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
      const firstSeq = records.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
      if (producerId >= 0n && firstSeq >= 0)
        visit({
          producerId,
          epoch: records.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
          firstSeq,
          // As the Produce path computes it (the same key matches a reserved batch).
          lastSeq: firstSeq + delta,
          baseOffset,
          lastOffset: baseOffset + delta,
          maxTimestamp: readInt64(records, pos + MAX_TIMESTAMP_OFFSET),
        });
    }
    pos += size;
  }
}
