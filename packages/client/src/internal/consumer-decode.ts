// The consumer's decode step: a partition's answer in a Fetch response becomes a BufferedFetch (or
// moves the partition's position on an error), and buffered bytes become MessageBatches only when
// the application takes them.
import type { Cluster } from "../cluster.js";
import type { ResolvedConsumerOptions } from "../consumer-options.js";
import { KafkaProtocolError, isStaleMetadataCode } from "../errors.js";
import type { MessageBatch } from "../message.js";
import { bufferedFetchOf, type BufferedFetch, type PartitionData } from "./fetch.js";
import { setPosition, type PartitionState } from "./partition-state.js";
import { decodeRecords, type DecodedRecords } from "./record-reader.js";

/**
 * A fetch is handed out in MessageBatches of whole record batches, closed once they hold this many
 * messages: the Message objects of a batch are short-lived, so they die in V8's young generation
 * instead of being promoted.
 */
const BATCH_RECORDS = 2048;

/**
 * The fetched bytes of partition `s` to buffer (undefined: nothing to buffer). An out-of-range
 * offset resets the position (autoOffsetReset), a retriable error backs the partition off; other
 * errors throw.
 */
export function partitionFetchOf(
  s: PartitionState,
  fetchOffset: bigint,
  p: PartitionData,
  generation: number,
  options: ResolvedConsumerOptions,
  cluster: Cluster,
  isolationLevel: number,
): BufferedFetch | undefined {
  if (p.errorCode !== 0) {
    if (p.errorCode === 1) {
      // OFFSET_OUT_OF_RANGE
      if (options.autoOffsetReset === "none")
        throw new KafkaProtocolError(1, `${s.topic}-${s.partition} at offset ${fetchOffset}`);
      setPosition(s, options.autoOffsetReset);
      return undefined;
    }
    if (isStaleMetadataCode(p.errorCode) || new KafkaProtocolError(p.errorCode).retriable) {
      cluster.invalidate(s.topic);
      s.notBeforeMs = Date.now() + cluster.options.retry.initialRetryTimeMs;
      return undefined;
    }
    throw new KafkaProtocolError(p.errorCode, `Fetch ${s.topic}-${s.partition}`);
  }
  return bufferedFetchOf(s, fetchOffset, p, generation, options.checkCrcs, isolationLevel);
}

/** What decoding needs of the consumer. */
export interface DecodeHost {
  /** The fetch's partition is still assigned, not paused, at the fetch's generation. */
  isCurrent(fetch: BufferedFetch): boolean;
  pump(): void;
}

/**
 * Decodes buffered bytes into a batch (null: nothing to hand out). A corrupt batch puts the
 * partition's position back at it and throws, so the next call refetches and fails again (as Java's
 * consumer does) until the application seeks past it.
 */
export async function decodeBuffered(host: DecodeHost, b: BufferedFetch): Promise<MessageBatch | null> {
  let decoded: DecodedRecords;
  try {
    const d = decodeRecords(b.records, b.context, b.resumeAt, BATCH_RECORDS);
    decoded = d instanceof Promise ? await d : d;
    b.resumeAt = decoded.resumeAt;
  } catch (e) {
    if (host.isCurrent(b)) setPosition(b.state, b.context.fetchOffset);
    host.pump();
    throw e;
  }
  if (!host.isCurrent(b)) return null;
  // Records below the committed position were skipped by the reader; control records and
  // aborted transactions leave no message but still move the position.
  const nextOffset = decoded.resumeAt >= b.records.length ? b.nextOffset : decoded.nextOffset;
  if (decoded.messages.length === 0) {
    b.state.consumed = nextOffset;
    return null;
  }
  return {
    topic: b.state.topic,
    partition: b.state.partition,
    messages: decoded.messages,
    highWatermark: b.highWatermark,
    nextOffset,
  };
}
