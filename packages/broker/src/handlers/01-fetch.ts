// Fetch (key 1), v4-12 (v13+ names topics by id; not advertised). Reads whole batches as byte
// slices from the log (the in-memory tail for tailing consumers) and sends them without copying.
// Long poll: with fewer than minBytes available, the request waits in the append purgatory until
// appends bring enough bytes or maxWaitMs passes. Sessionless (sessionId 0, KIP-227 allows it).
// Consumers (replicaId -1) read only below the high watermark and wake when it moves; followers
// (replicaId >= 0, replication) read up to the log end, their fetch offset moves the HW
// (replication/leader-fetch.ts), and they wake on appends.
import {
  ApiKey,
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  type FetchRequest,
  type FetchRequestFetchPartition,
  type FetchResponse,
  type FetchResponsePartitionData,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import { leaderHint } from "../metadata/broker-endpoints.js";
import type { FetchWaiter } from "../log/append-waiters.js";
import type { PartitionLog } from "../log/partition-log.js";
import { FetchDirectResponse, type FetchPartitionResult, type FetchTopicResult } from "../server/direct-response.js";
import { type DivergingPartitionResult, followerFetch } from "../replication/leader-fetch.js";
import type { BrokerServices } from "../services.js";
import type { Handler, RequestContext } from "./types.js";

const EMPTY = Buffer.alloc(0);
/** Bound on extra reads past batches that compaction emptied (see skipEmptyBatches). */
const MAX_EMPTY_SKIP_READS = 64;

/**
 * The offset after the last batch of `slices` when every batch in them has no records (a compacted
 * log keeps such batches to preserve offsets), else -1. Only the first batch is looked at when it
 * has records, so the common case costs one read.
 */
function nextOffsetIfAllEmpty(slices: Buffer[]): number {
  let next = -1;
  for (const b of slices) {
    let pos = 0;
    while (pos + RECORD_BATCH_OVERHEAD <= b.length) {
      if (b.readInt32BE(pos + RECORDS_COUNT_OFFSET) !== 0) return -1;
      next = Number(b.readBigInt64BE(pos)) + b.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
      pos += LOG_OVERHEAD + b.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    }
  }
  return next;
}

interface ReadState {
  bytes: number;
  hasError: boolean;
  /** What is left of the request's maxBytes. */
  budget: number;
  /** The fetching follower's broker id, -1 for a consumer. */
  replicaId: number;
}

function errorPartition(partitionIndex: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

function failedPartition(partitionIndex: number, errorCode: number): FetchPartitionResult {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedNull: true,
    records: EMPTY,
  };
}

function partitionResult(
  partitionIndex: number,
  errorCode: number,
  log: PartitionLog,
  records: readonly Buffer[] | Buffer,
): FetchPartitionResult {
  const hw = log.highWatermark;
  return {
    partitionIndex,
    errorCode,
    highWatermark: hw,
    lastStableOffset: hw,
    logStartOffset: log.logStartOffset,
    abortedNull: false,
    records,
  };
}

/**
 * One partition's answer. Synchronous when the log answers from its tail cache (a tailing
 * consumer, the common case): no promise or async frame per partition on that path.
 */
function readPartition(
  s: BrokerServices,
  topic: string,
  fp: FetchRequestFetchPartition,
  state: ReadState,
): FetchPartitionResult | Promise<FetchPartitionResult> {
  // Consumers fetch from the leader (KIP-392 follower fetching is not served yet).
  const lookup = s.topics.leaderPartition(topic, fp.partition, fp.currentLeaderEpoch ?? -1);
  if (typeof lookup === "number") {
    state.hasError = true;
    return failedPartition(fp.partition, lookup);
  }
  const log = lookup.log;
  const offset = Number(fp.fetchOffset);
  // A consumer reads below the HW; a follower up to the log end.
  let maxOffset: number;
  if (state.replicaId >= 0) {
    const answer = followerFetch(s, topic, lookup, fp, state.replicaId);
    if (answer !== null) {
      state.hasError = true;
      return answer;
    }
    maxOffset = log.logEndOffset;
  } else {
    if (offset < log.logStartOffset || offset > log.logEndOffset) {
      state.hasError = true;
      return partitionResult(fp.partition, ErrorCode.OFFSET_OUT_OF_RANGE, log, EMPTY);
    }
    maxOffset = log.highWatermark;
  }
  const maxBytes = Math.min(fp.partitionMaxBytes, state.budget);
  if (offset >= maxOffset || fp.partitionMaxBytes <= 0) return partitionResult(fp.partition, 0, log, EMPTY);
  let read: Buffer[] | Promise<Buffer[]>;
  try {
    read = log.read(offset, Math.max(0, maxBytes), state.bytes === 0, maxOffset);
  } catch (e) {
    return readFailed(s, topic, fp, state, log, e);
  }
  if (read instanceof Promise) {
    return read.then(
      (slices) => withSlices(s, topic, fp, state, log, slices, maxBytes, maxOffset),
      (e: unknown) => readFailed(s, topic, fp, state, log, e),
    );
  }
  return withSlices(s, topic, fp, state, log, read, maxBytes, maxOffset);
}

function withSlices(
  s: BrokerServices,
  topic: string,
  fp: FetchRequestFetchPartition,
  state: ReadState,
  log: PartitionLog,
  slices: Buffer[],
  maxBytes: number,
  maxOffset: number,
): FetchPartitionResult | Promise<FetchPartitionResult> {
  if (slices.length > 0 && nextOffsetIfAllEmpty(slices) >= 0) {
    return skipEmptyBatches(log, slices, maxBytes, maxOffset).then(
      (all) => accounted(fp, state, log, all),
      (e: unknown) => readFailed(s, topic, fp, state, log, e),
    );
  }
  return accounted(fp, state, log, slices);
}

function accounted(
  fp: FetchRequestFetchPartition,
  state: ReadState,
  log: PartitionLog,
  slices: Buffer[],
): FetchPartitionResult {
  let n = 0;
  for (const b of slices) n += b.length;
  state.bytes += n;
  state.budget -= n;
  return partitionResult(fp.partition, 0, log, n === 0 ? EMPTY : slices);
}

function readFailed(
  s: BrokerServices,
  topic: string,
  fp: FetchRequestFetchPartition,
  state: ReadState,
  log: PartitionLog,
  e: unknown,
): FetchPartitionResult {
  state.hasError = true;
  const code =
    (e as { code?: string }).code === "OFFSET_OUT_OF_RANGE"
      ? ErrorCode.OFFSET_OUT_OF_RANGE
      : ErrorCode.KAFKA_STORAGE_ERROR;
  if (code === ErrorCode.KAFKA_STORAGE_ERROR)
    s.logger.error({ err: e, topic, partition: fp.partition }, "fetch read failed");
  return partitionResult(fp.partition, code, log, EMPTY);
}

/**
 * Clients (librdkafka "might be too large to fetch", kafka-go) stall on a partition response made
 * only of record-less batches; when a read returns nothing but those, read on (within maxBytes) so
 * the response reaches the next batch with records.
 */
async function skipEmptyBatches(
  log: PartitionLog,
  slices: Buffer[],
  maxBytes: number,
  maxOffset: number,
): Promise<Buffer[]> {
  let next = nextOffsetIfAllEmpty(slices);
  if (next < 0) return slices;
  const out = [...slices];
  let bytes = 0;
  for (const b of out) bytes += b.length;
  for (let i = 0; i < MAX_EMPTY_SKIP_READS && next >= 0 && next < maxOffset && bytes < maxBytes; i++) {
    const r = log.read(next, maxBytes - bytes, false, maxOffset);
    let more: Buffer[];
    if (r instanceof Promise) more = await r;
    else more = r;
    if (more.length === 0) break;
    for (const b of more) bytes += b.length;
    out.push(...more);
    next = nextOffsetIfAllEmpty(more);
  }
  return out;
}

/** Reads every requested partition, in order; synchronous until a read has to wait for the file. */
function readAll(
  s: BrokerServices,
  req: FetchRequest,
  state: ReadState,
): FetchDirectResponse | Promise<FetchDirectResponse> {
  state.bytes = 0;
  state.hasError = false;
  state.budget = req.maxBytes ?? 0x7fffffff;
  state.replicaId = req.replicaId ?? -1;
  return readFrom(s, req, state, [], 0, 0);
}

function readFrom(
  s: BrokerServices,
  req: FetchRequest,
  state: ReadState,
  topics: FetchTopicResult[],
  fromTopic: number,
  fromPartition: number,
): FetchDirectResponse | Promise<FetchDirectResponse> {
  for (let ti = fromTopic; ti < req.topics.length; ti++) {
    const ft = req.topics[ti]!;
    const topic = ft.topic ?? "";
    if (topics.length === ti) topics.push({ topic, partitions: [] });
    const partitions = topics[ti]!.partitions;
    for (let pi = ti === fromTopic ? fromPartition : 0; pi < ft.partitions.length; pi++) {
      const r = readPartition(s, topic, ft.partitions[pi]!, state);
      if (r instanceof Promise) {
        return r.then((result) => {
          partitions.push(result);
          return readFrom(s, req, state, topics, ti, pi + 1);
        });
      }
      partitions.push(r);
    }
  }
  return new FetchDirectResponse(topics);
}

/** Waits in the append purgatory until enough bytes arrive, maxWaitMs passes or the connection closes. */
function waitForAppends(
  s: BrokerServices,
  req: FetchRequest,
  neededBytes: number,
  connectionId: number,
): Promise<void> {
  const keys: string[] = [];
  const w = s.appendWaiters;
  const follower = (req.replicaId ?? -1) >= 0;
  for (const ft of req.topics)
    for (const fp of ft.partitions)
      keys.push(follower ? w.replicaKeyOf(ft.topic ?? "", fp.partition) : w.keyOf(ft.topic ?? "", fp.partition));
  return new Promise<void>((resolve) => {
    const waiter: FetchWaiter = { keys, neededBytes, connectionId, complete: resolve };
    if (!s.appendWaiters.add(waiter, Math.min(req.maxWaitMs, 300_000))) resolve();
  });
}

/** The first read's answer, or (below minBytes, within maxWaitMs) a later one after appends. */
function waitIfShort(
  s: BrokerServices,
  req: FetchRequest,
  ctx: RequestContext<BrokerServices>,
  state: ReadState,
  first: FetchDirectResponse,
): FetchDirectResponse | Promise<FetchDirectResponse> {
  const minBytes = Math.max(1, req.minBytes);
  if (state.bytes >= minBytes || state.hasError || req.maxWaitMs <= 0 || s.closing) return first;
  const signal = ctx.signal;
  if (signal?.aborted === true) return first;
  // The connection's close completes its waiters (AppendWaiters.completeConnection).
  return waitForAppends(s, req, minBytes - state.bytes, ctx.connectionId).then(() =>
    signal?.aborted === true ? first : readAll(s, req, state),
  );
}

/**
 * A consumer's fetch of one partition at its high watermark with a valid epoch: a first read would
 * be empty. (A follower's fetch always reads first: its offset moves the HW.)
 */
function caughtUp(s: BrokerServices, req: FetchRequest): boolean {
  if (req.topics.length !== 1 || (req.replicaId ?? -1) >= 0) return false;
  const ft = req.topics[0]!;
  if (ft.partitions.length !== 1) return false;
  const fp = ft.partitions[0]!;
  const lookup = s.topics.leaderPartition(ft.topic ?? "", fp.partition, fp.currentLeaderEpoch ?? -1);
  if (typeof lookup === "number" || fp.partitionMaxBytes <= 0) return false;
  const log = lookup.log;
  const offset = Number(fp.fetchOffset);
  return offset >= log.highWatermark && offset <= log.logEndOffset && log.logEndOffset >= log.logStartOffset;
}

/**
 * KIP-951 (Fetch v12+ currentLeader as a tagged field): a response with a partition this broker
 * does not lead is answered through the generated codec with the leader the image names. The
 * direct encoder stays on the common path; this one is the rare re-routing case.
 */
function withLeaderHints(s: BrokerServices, f: FetchDirectResponse): FetchDirectResponse | FetchResponse {
  const image = s.topics.image;
  let hinted = false;
  const responses = f.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): FetchResponsePartitionData => {
      const out: FetchResponsePartitionData = {
        partitionIndex: p.partitionIndex,
        errorCode: p.errorCode,
        highWatermark: BigInt(p.highWatermark),
        lastStableOffset: BigInt(p.lastStableOffset),
        logStartOffset: BigInt(p.logStartOffset),
        abortedTransactions: p.abortedNull ? null : [],
        preferredReadReplica: -1,
        records: p.records,
      };
      const hint = leaderHint(image, p.errorCode, t.topic, p.partitionIndex, s.listenerName);
      if (hint !== null) {
        out.currentLeader = hint.currentLeader;
        hinted = true;
      }
      const diverging = (p as DivergingPartitionResult).divergingEpoch;
      if (diverging !== undefined) {
        out.divergingEpoch = { epoch: diverging.epoch, endOffset: BigInt(diverging.endOffset) };
        hinted = true;
      }
      return out;
    }),
  }));
  return hinted ? { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses } : f;
}

export const fetchHandler: Handler<FetchRequest, FetchResponse | FetchDirectResponse, BrokerServices> = {
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 12,
  handle(req, ctx) {
    const s = ctx.services;
    const state: ReadState = { bytes: 0, hasError: false, budget: 0, replicaId: -1 };
    if (req.maxWaitMs > 0 && caughtUp(s, req) && !s.closing && ctx.signal?.aborted !== true) {
      // A tailing consumer of one partition (the common long poll): wait first, without building
      // the empty answer a first read would give (same outcome as the general path below).
      return waitForAppends(s, req, Math.max(1, req.minBytes), ctx.connectionId).then(() => readAll(s, req, state));
    }
    const first = readAll(s, req, state);
    // An error answers at once (no long poll); NOT_LEADER_OR_FOLLOWER gets KIP-951's leader hint.
    const answer = (f: FetchDirectResponse) =>
      state.hasError ? withLeaderHints(s, f) : waitIfShort(s, req, ctx, state, f);
    if (first instanceof Promise) return first.then(answer);
    return answer(first);
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: req.topics.map((ft) => ({
        topic: ft.topic ?? "",
        topicId: ft.topicId ?? "00000000-0000-0000-0000-000000000000",
        partitions: ft.partitions.map((fp) => errorPartition(fp.partition, errorCode)),
      })),
    };
  },
};
