// Idempotent producers (KIP-98): ids come in blocks from the active controller
// (metadata/producer-id-blocks.ts); here the per-partition sequence check: a batch must continue its producer's sequence on that
// partition; a retried batch (same sequences as one of the producer's last 5 on that partition, as Kafka
// keeps) is a duplicate and is acknowledged with the original offset instead of being appended again.

/** One accepted batch of a producer on a partition. */
export interface BatchEntry {
  firstSeq: number;
  lastSeq: number;
  /** The batch's base offset, or a promise of it while its append is still being written. */
  baseOffset: number | Promise<number>;
}

export interface ProducerEntry {
  epoch: number;
  /** The producer's last accepted batches, oldest first, at most BATCHES_KEPT. */
  batches: BatchEntry[];
}

export type SequenceCheck =
  | { kind: "ok" }
  | { kind: "duplicate"; baseOffset: number | Promise<number> }
  | { kind: "error"; errorCode: number };

/** Kafka keeps metadata of a producer's last 5 batches per partition (max.in.flight with idempotence). */
const BATCHES_KEPT = 5;

/** Per-partition producer state; bounded (oldest producers are forgotten past maxProducers). */
export class PartitionProducerState {
  private readonly producers = new Map<bigint, ProducerEntry>();
  constructor(private readonly maxProducers = 10_000) {}

  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const e = this.producers.get(producerId);
    if (e === undefined) return { kind: "ok" };
    if (epoch < e.epoch) return { kind: "error", errorCode: 47 };
    if (epoch > e.epoch) return firstSeq === 0 ? { kind: "ok" } : { kind: "error", errorCode: 45 };
    for (const b of e.batches)
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: "duplicate", baseOffset: b.baseOffset };
    const last = e.batches[e.batches.length - 1];
    if (last === undefined) return { kind: "ok" };
    const expected = last.lastSeq === 0x7fffffff ? 0 : last.lastSeq + 1;
    if (firstSeq !== expected) return { kind: "error", errorCode: firstSeq <= last.lastSeq && firstSeq >= 0 ? 46 : 45 };
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
    if (e === undefined || e.epoch !== epoch) e = { epoch, batches: [] };
    let settle!: (baseOffset: number) => void;
    const batch: BatchEntry = { firstSeq, lastSeq, baseOffset: new Promise<number>((resolve) => (settle = resolve)) };
    e.batches.push(batch);
    if (e.batches.length > BATCHES_KEPT) e.batches.shift();
    this.set(producerId, e);
    const entry = e;
    return (baseOffset: number) => {
      settle(baseOffset);
      if (baseOffset >= 0) batch.baseOffset = baseOffset;
      else {
        const i = entry.batches.indexOf(batch);
        if (i >= 0) entry.batches.splice(i, 1);
      }
    };
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
