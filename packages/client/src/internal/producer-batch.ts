// The producer's batches and who waits for them: each open batch records runs of records per
// send() call (owner, first index, count), so acknowledging a batch resolves every call whose
// last record it held, with each record's offset, without an object per record.
import type { RecordMetadata } from "../producer.js";
import { BatchBuilder } from "./batch-builder.js";

/** One send() call waiting for its records. */
export interface SendCall {
  results: RecordMetadata[];
  remaining: number;
  done: boolean;
  resolve: (r: RecordMetadata[]) => void;
  reject: (e: Error) => void;
}

export interface ProducerBatch {
  builder: BatchBuilder;
  /** The sealed (compressed) bytes; null until sealed. */
  bytes: Buffer | null;
  sealing: Promise<Buffer> | null;
  createdMs: number;
  notBeforeMs: number;
  attempts: number;
  /** Idempotence: the sequence stamped at first send (-1 before). */
  baseSequence: number;
  // Runs of records belonging to one send() call: owner, index of its first record, count.
  owners: SendCall[];
  ownerStart: number[];
  ownerCount: number[];
}

export interface ProducerPartition {
  topic: string;
  partition: number;
  open: ProducerBatch | null;
  queue: ProducerBatch[];
  inFlight: number;
  nextSequence: number;
  /** Idempotence: the sequence after the last acknowledged batch (what the broker expects next). */
  ackedSequence: number;
}

export function newProducerPartition(topic: string, partition: number): ProducerPartition {
  return { topic, partition, open: null, queue: [], inFlight: 0, nextSequence: 0, ackedSequence: 0 };
}

export function newBatch(batchSizeBytes: number, nowMs: number): ProducerBatch {
  return {
    builder: new BatchBuilder(batchSizeBytes),
    bytes: null,
    sealing: null,
    createdMs: nowMs,
    notBeforeMs: 0,
    attempts: 0,
    baseSequence: -1,
    owners: [],
    ownerStart: [],
    ownerCount: [],
  };
}

/** Records that record `index` of `call` is the batch's latest (extending the call's run). */
export function addOwner(batch: ProducerBatch, call: SendCall, index: number): void {
  const last = batch.owners.length - 1;
  if (last >= 0 && batch.owners[last] === call && batch.ownerStart[last]! + batch.ownerCount[last]! === index) {
    batch.ownerCount[last]!++;
  } else {
    batch.owners.push(call);
    batch.ownerStart.push(index);
    batch.ownerCount.push(1);
  }
}

/** Fills the owners' results for an acknowledged batch (offsets from `baseOffset`; -1n: unknown). */
export function resolveOwners(batch: ProducerBatch, topic: string, partition: number, baseOffset: bigint): void {
  let offsetDelta = 0;
  for (let run = 0; run < batch.owners.length; run++) {
    const call = batch.owners[run]!;
    const start = batch.ownerStart[run]!;
    const count = batch.ownerCount[run]!;
    if (!call.done) {
      const results = call.results;
      if (baseOffset < 0n) for (let i = 0; i < count; i++) results[start + i] = { topic, partition, offset: -1n };
      else {
        const base = baseOffset + BigInt(offsetDelta);
        for (let i = 0; i < count; i++) results[start + i] = { topic, partition, offset: base + BigInt(i) };
      }
      call.remaining -= count;
      if (call.remaining === 0) {
        call.done = true;
        call.resolve(results);
      }
    }
    offsetDelta += count;
  }
}

/** Rejects a call once (a call with records in several batches fails with the first error). */
export function failCall(call: SendCall, error: Error): void {
  if (call.done) return;
  call.done = true;
  call.reject(error);
}
