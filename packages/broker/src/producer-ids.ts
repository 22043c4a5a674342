// Producer ids for idempotent producers (InitProducerId without a transactional id) and the
// per-partition sequence check of KIP-98: a batch must continue its producer's sequence on that
// partition; a retried batch (same sequence as the last appended) is a duplicate and is acknowledged
// with the original offset instead of being appended again.

export interface ProducerEntry {
  epoch: number;
  /** Last appended batch: first/last sequence and its base offset. */
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

export type SequenceCheck =
  | { kind: "ok" }
  | { kind: "duplicate"; baseOffset: number }
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

  update(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number, baseOffset: number): void {
    this.producers.delete(producerId);
    this.producers.set(producerId, { epoch, firstSeq, lastSeq, baseOffset });
    if (this.producers.size > this.maxProducers) {
      const oldest = this.producers.keys().next().value;
      if (oldest !== undefined) this.producers.delete(oldest);
    }
  }
}
