// Partitioners. Keyed records use the Java client's murmur2 (so a key lands on the same partition as
// with Kafka's own producer); null keys use the sticky partitioner (KIP-480): one partition until its
// batch is sent, then another, which makes fuller batches than round robin.

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), returning a signed int32. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

export interface PartitionerInput {
  topic: string;
  key: Buffer | null;
  partitionCount: number;
}

/** Returns a partition in [0, partitionCount), or -1 to let the default (sticky) choice apply. */
export type Partitioner = (input: PartitionerInput) => number;

/** The Java client's default for keyed records: toPositive(murmur2(key)) % partitionCount. */
export const murmur2Partitioner: Partitioner = ({ key, partitionCount }) =>
  key === null ? -1 : toPositive(murmur2(key)) % partitionCount;

/** Sticky choice for null keys, per topic; `onBatchSent` moves the topic to another partition. */
export class StickyPartitions {
  private readonly current = new Map<string, number>();
  constructor(private readonly random: () => number = Math.random) {}

  partition(topic: string, partitionCount: number): number {
    let p = this.current.get(topic);
    if (p === undefined || p >= partitionCount) {
      p = Math.floor(this.random() * partitionCount);
      this.current.set(topic, p);
    }
    return p;
  }

  /** A batch for `topic`/`partition` was closed: switch to another partition next time (KIP-480). */
  onNewBatch(topic: string, partition: number, partitionCount: number): void {
    if (this.current.get(topic) !== partition || partitionCount <= 1) return;
    let next = Math.floor(this.random() * (partitionCount - 1));
    if (next >= partition) next++;
    this.current.set(topic, next);
  }
}
