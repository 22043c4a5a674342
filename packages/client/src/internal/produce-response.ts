// The producer's response handling and retries: each batch of a Produce request is acknowledged,
// failed, or queued again (in sequence order, after a backoff) for its partition.
import type { ProduceResponse } from "@gregor/protocol";
import type { Cluster } from "../cluster.js";
import { GregorClientError, KafkaProtocolError, KafkaTimeoutError, isStaleMetadataCode } from "../errors.js";
import type { ResolvedProducerOptions } from "../producer-options.js";
import { backoffMs } from "./backoff.js";
import { failCall, resolveOwners, type ProducerBatch, type ProducerPartition } from "./producer-batch.js";

/** What the response handling needs of the producer. */
export interface ProduceOutcomes {
  readonly cluster: Cluster;
  readonly options: ResolvedProducerOptions;
  /** Partitions with batches to send. */
  readonly active: Set<ProducerPartition>;
  /** Frees a settled batch's buffer space. */
  release(b: ProducerBatch): void;
  /** The leader answered NOT_LEADER_OR_FOLLOWER or similar: refresh metadata (the cached leader is stale). */
  metadataStale(): void;
}

/** Settles each batch of a Produce request (`res` undefined: acks=0). */
export function onResponse(
  o: ProduceOutcomes,
  parts: ProducerPartition[],
  batches: ProducerBatch[],
  res: ProduceResponse | undefined,
): void {
  for (let i = 0; i < batches.length; i++) {
    const p = parts[i]!;
    const b = batches[i]!;
    if (res === undefined) {
      completeBatch(o, p, b, -1n);
      continue;
    }
    const r = res.responses.find((t) => t.name === p.topic)?.partitionResponses.find((x) => x.index === p.partition);
    if (r === undefined) {
      retryOrFail(o, p, b, new GregorClientError(`no response for ${p.topic}-${p.partition}`, true), -1);
      continue;
    }
    if (r.errorCode === 0) completeBatch(o, p, b, r.baseOffset);
    else if (r.errorCode === 46) onDuplicate(o, p, b);
    else
      retryOrFail(
        o,
        p,
        b,
        new KafkaProtocolError(r.errorCode, r.errorMessage ?? `${p.topic}-${p.partition}`),
        r.errorCode,
      );
  }
}

/**
 * DUPLICATE_SEQUENCE_NUMBER: the broker says the batch is already in the log. Only a resent batch
 * can be: on a first send the broker's sequence state is ahead of what it ever wrote (it accepted a
 * later batch of ours before this one), so acknowledging would silently lose the batch's records.
 */
function onDuplicate(o: ProduceOutcomes, p: ProducerPartition, b: ProducerBatch): void {
  if (b.attempts > 1) {
    completeBatch(o, p, b, -1n);
    return;
  }
  const err = new KafkaProtocolError(
    46,
    `${p.topic}-${p.partition}: the broker reported the batch at sequence ${b.baseSequence} as a duplicate on its first send (not written; the broker accepted a later sequence first)`,
  );
  failBatch(o, b, err);
}

/** Queues the batch again after a backoff when `err` (broker error `code`, -1 for none) is retriable; fails it otherwise. */
export function retryOrFail(
  o: ProduceOutcomes,
  p: ProducerPartition,
  b: ProducerBatch,
  err: Error,
  code: number,
): void {
  const now = Date.now();
  let retriable = err instanceof GregorClientError && err.retriable;
  // OUT_OF_ORDER_SEQUENCE_NUMBER after an earlier batch of this partition failed: resend in order.
  // An earlier batch is unacknowledged (queued for a retry or still in flight): the gap fills in.
  if (code === 45 && o.options.idempotent && b.baseSequence !== p.ackedSequence) retriable = true;
  if (code >= 0 && isStaleMetadataCode(code)) {
    o.cluster.invalidate(p.topic);
    o.metadataStale();
  }
  if (!retriable || b.attempts > o.options.retry.retries || now - b.createdMs >= o.options.deliveryTimeoutMs) {
    const e =
      retriable && now - b.createdMs >= o.options.deliveryTimeoutMs
        ? new KafkaTimeoutError(`delivery timed out after ${o.options.deliveryTimeoutMs} ms: ${err.message}`)
        : err;
    failBatch(o, b, e);
    return;
  }
  b.notBeforeMs = now + backoffMs(b.attempts - 1, o.options.retry.initialRetryTimeMs, o.options.retry.maxRetryTimeMs);
  // Keep the queue in sequence order so retried batches go out before later ones.
  let at = 0;
  while (at < p.queue.length && p.queue[at]!.attempts > 0 && p.queue[at]!.baseSequence < b.baseSequence) at++;
  p.queue.splice(at, 0, b);
  o.active.add(p);
  o.cluster.log.debug(
    { topic: p.topic, partition: p.partition, attempt: b.attempts, err: err.message },
    "retrying batch",
  );
}

function completeBatch(o: ProduceOutcomes, p: ProducerPartition, b: ProducerBatch, baseOffset: bigint): void {
  if (b.baseSequence >= 0) p.ackedSequence = (b.baseSequence + b.builder.count) % 0x80000000;
  resolveOwners(b, p.topic, p.partition, baseOffset);
  o.release(b);
}

/** Rejects every send() call with records in the batch. */
export function failBatch(o: ProduceOutcomes, b: ProducerBatch, err: Error): void {
  for (const call of b.owners) failCall(call, err);
  o.release(b);
}
