// Producer ids for idempotent producers (InitProducerId without a transactional id) and the
// per-partition sequence check of KIP-98: a batch must continue its producer's sequence on that
// partition; a retried batch (same sequence as the last appended) is a duplicate and is acknowledged
// with the original offset instead of being appended again.

export interface ProducerEntry {
  epoch: number;
  /** Last accepted batch: first/last sequence, and its base offset once written. */
  firstSeq: number;
  lastSeq: number;
  /** The batch's base offset, or a promise of it while its append is still being written. */
  baseOffset: number | Promise<number>;
}

export type SequenceCheck =
  | { kind: "ok" }
  | { kind: "duplicate"; baseOffset: number | Promise<number> }
  | { kind: "error"; errorCode: number };

export class ProducerIdManager {
  private next: bigint;
  constructor(firstId: bigint) {
    this.next = firstId;
  }
  allocate(): bigint {
    return this.next++;
  }
}

/** Per-partition producer state; bounded (oldest producers are forgotten past maxProducers). */
export class PartitionProducerState {
  private readonly producers = new Map<bigint, ProducerEntry>();
  constructor(private readonly maxProducers = 10_000) {}

  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const e = this.producers.get(producerId);
    if (e === undefined) return { kind: "ok" };
    if (epoch < e.epoch) return { kind: "error", errorCode: 47 };
    if (epoch > e.epoch) return firstSeq === 0 ? { kind: "ok" } : { kind: "error", errorCode: 45 };
    if (firstSeq === e.firstSeq && lastSeq === e.lastSeq) return { kind: "duplicate", baseOffset: e.baseOffset };
    const expected = e.lastSeq === 0x7fffffff ? 0 : e.lastSeq + 1;
    if (firstSeq !== expected) return { kind: "error", errorCode: firstSeq <= e.lastSeq && firstSeq >= 0 ? 46 : 45 };
    return { kind: "ok" };
  }

  /**
   * Accepts a checked batch before its append is written, so pipelined batches of one producer
   * (up to 5 in flight) are checked against each other in arrival order, not in completion order.
   * Returns `settle(baseOffset)` to call once written, or with -1 if the append failed (the
   * producer's state then goes back to what it was, and a retry of the batch is appended anew).
   */
  begin(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): (baseOffset: number) => void {
    const previous = this.producers.get(producerId);
    let settle!: (baseOffset: number) => void;
    const written = new Promise<number>((resolve) => (settle = resolve));
    const entry: ProducerEntry = { epoch, firstSeq, lastSeq, baseOffset: written };
    this.set(producerId, entry);
    return (baseOffset: number) => {
      settle(baseOffset);
      if (this.producers.get(producerId) !== entry) return;
      if (baseOffset >= 0) entry.baseOffset = baseOffset;
      else if (previous === undefined) this.producers.delete(producerId);
      else this.set(producerId, previous);
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
