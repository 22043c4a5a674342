// The consumer's side of Fetch: the request for one leader's partitions, the bytes of each
// partition's answer (only their batch headers are read here), and the buffer of fetched bytes
// waiting for the application, decoded into MessageBatches only when it takes them.
import type { FetchRequest, FetchResponse } from "@gregor/protocol";
import type { Cluster } from "../cluster.js";
import type { ResolvedConsumerOptions } from "../consumer-options.js";
import type { PartitionState } from "./partition-state.js";
import { scanRecords, type DecodeContext } from "./record-reader.js";

/** One partition's answer in a Fetch response. */
export type PartitionData = FetchResponse["responses"][number]["partitions"][number];

/** Fetched bytes of one partition, decoded into a MessageBatch when the application takes them. */
export interface BufferedFetch {
  records: Buffer;
  /** Where decoding resumes (a fetch is handed out in several MessageBatches). */
  resumeAt: number;
  context: DecodeContext;
  highWatermark: bigint;
  /** The offset after the last complete record batch. */
  nextOffset: bigint;
  state: PartitionState;
  /** The state's generation when the fetch was sent (stale once it moved). */
  generation: number;
  sizeBytes: number;
}

/** The Fetch request (no fetch session) for `states` at `offsets`. */
export function fetchRequest(
  states: readonly PartitionState[],
  offsets: readonly bigint[],
  options: ResolvedConsumerOptions,
  isolationLevel: number,
): FetchRequest {
  const byTopic = new Map<string, FetchRequest["topics"][number]["partitions"]>();
  states.forEach((s, i) => {
    let partitions = byTopic.get(s.topic);
    if (!partitions) {
      partitions = [];
      byTopic.set(s.topic, partitions);
    }
    partitions.push({
      partition: s.partition,
      currentLeaderEpoch: -1,
      fetchOffset: offsets[i]!,
      lastFetchedEpoch: -1,
      logStartOffset: -1n,
      partitionMaxBytes: options.maxPartitionBytes,
    });
  });
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs,
    minBytes: options.minBytes,
    maxBytes: options.maxBytes,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    forgottenTopicsData: [],
    rackId: "",
  };
}

/**
 * The complete record batches of a partition's (error-free) answer, ready to buffer; moves the
 * state's fetch offset past them. Undefined when the answer holds no complete batch.
 */
export function bufferedFetchOf(
  state: PartitionState,
  fetchOffset: bigint,
  data: PartitionData,
  generation: number,
  checkCrcs: boolean,
  isolationLevel: number,
): BufferedFetch | undefined {
  state.highWatermark = data.highWatermark;
  const records = data.records;
  if (!records || (Buffer.isBuffer(records) && records.length === 0)) return undefined;
  const buf = Buffer.isBuffer(records) ? records : Buffer.concat(records as Buffer[]);
  const aborted =
    isolationLevel === 1
      ? (data.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
      : null;
  const context: DecodeContext = { topic: state.topic, partition: state.partition, fetchOffset, checkCrcs, aborted };
  const scanned = scanRecords(buf, context);
  if (scanned.nextOffset > fetchOffset) state.fetchOffset = scanned.nextOffset;
  if (scanned.sizeBytes === 0) return undefined;
  return {
    records: buf.subarray(0, scanned.sizeBytes),
    resumeAt: 0,
    context,
    highWatermark: data.highWatermark,
    nextOffset: scanned.nextOffset,
    state,
    generation,
    sizeBytes: scanned.sizeBytes,
  };
}

/** Fetched bytes waiting for the application, oldest first; `bytes` is what the backpressure bound counts. */
export class FetchBuffer {
  private items: (BufferedFetch | undefined)[] = [];
  private head = 0;
  bytes = 0;

  push(fetch: BufferedFetch): void {
    this.items.push(fetch);
    this.bytes += fetch.sizeBytes;
  }

  /** The oldest buffered fetch, or undefined when empty. */
  peek(): BufferedFetch | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Drops `fetch` when it is the oldest (a no-op otherwise); returns whether it was dropped. */
  dropHead(fetch: BufferedFetch): boolean {
    if (this.items[this.head] !== fetch) return false;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    this.bytes -= fetch.sizeBytes;
    return true;
  }
}

/**
 * The partitions to fetch now, by leader: not paused, position known, out of backoff, leader known
 * and without a fetch in flight. `wakeAt`: the earliest backoff end among the rest (Infinity:
 * none); `needMetadata`: some leader is unknown.
 */
export function fetchableByLeader(
  states: Iterable<PartitionState>,
  cluster: Cluster,
  fetching: ReadonlySet<number>,
  nowMs: number,
): { byLeader: Map<number, PartitionState[]>; wakeAt: number; needMetadata: boolean } {
  const byLeader = new Map<number, PartitionState[]>();
  let wakeAt = Infinity;
  let needMetadata = false;
  for (const s of states) {
    if (s.paused || s.fetchOffset === null) continue;
    if (s.notBeforeMs > nowMs) {
      wakeAt = Math.min(wakeAt, s.notBeforeMs);
      continue;
    }
    const leader = cluster.leaderOf(s.topic, s.partition);
    if (leader < 0) {
      needMetadata = true;
      continue;
    }
    if (fetching.has(leader)) continue;
    let forLeader = byLeader.get(leader);
    if (!forLeader) {
      forLeader = [];
      byLeader.set(leader, forLeader);
    }
    forLeader.push(s);
  }
  return { byLeader, wakeAt, needMetadata };
}
