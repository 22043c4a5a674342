// Produce (key 0): validate each partition's record set by batch header + CRC, check idempotent
// sequences, append (offsets assigned by rewriting baseOffset in place), answer per partition.
// acks=0 gets no response; acks=1 answers after the leader's append; acks=all (-1) is refused
// before the append with fewer in-sync replicas than min.insync.replicas (NOT_ENOUGH_REPLICAS)
// and answers once the high watermark passes the batch (delayed produce, replica-manager.ts).
// Advertised from v0 (librdkafka's compression probe, KAFKA-18659) but
// v0-2 (message format v0/v1) are not implemented, as in Kafka 4.
import {
  ApiKey,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  LAST_OFFSET_DELTA_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  type ProduceRequest,
  type ProduceRequestPartitionProduceData,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  recordsToBuffer,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import { leaderHint, type NodeEndpoint, NodeEndpoints } from "../metadata/broker-endpoints.js";
import type { LeaderPartition, TopicState } from "../metadata/topic-manager.js";
import { isInternalTopic, topicNameError } from "../metadata/topic-name.js";
import { ProducePartitionResponse } from "../server/direct-response.js";
import type { BrokerServices } from "../services.js";
import { NO_RESPONSE, type Handler, type NoResponse } from "./types.js";

function partitionError(
  index: number,
  errorCode: number,
  errorMessage: string | null = null,
): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
  };
}

async function resolveTopic(s: BrokerServices, name: string): Promise<TopicState | number> {
  const t = s.topics.get(name);
  if (t !== undefined) return t;
  if (topicNameError(name) !== null) return ErrorCode.INVALID_TOPIC_EXCEPTION;
  if (!s.config["auto.create.topics.enable"] || isInternalTopic(name)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const created = await s.admin.getOrCreate({ name, numPartitions: -1, replicationFactor: -1, configs: {} });
  return "errorCode" in created ? created.errorCode : created;
}

/** Kafka's check before an acks=all append: enough in-sync replicas (NONE), else NOT_ENOUGH_REPLICAS. */
function insyncError(s: BrokerServices, t: TopicState, p: LeaderPartition, acks: number): number {
  if (acks !== -1) return ErrorCode.NONE;
  return s.replicas.isrSize(p) < s.replicas.minInsyncReplicas(t) ? ErrorCode.NOT_ENOUGH_REPLICAS : ErrorCode.NONE;
}

/** acks=all: NONE once the HW passed `lastOffset` (at once on a single replica), else the delayed produce's error. */
function committed(
  s: BrokerServices,
  p: LeaderPartition,
  lastOffset: number,
  acks: number,
  timeoutMs: number,
): number | Promise<number> {
  if (acks !== -1 || p.replicas.length <= 1) return ErrorCode.NONE;
  return s.replicas.waitForCommit(p, lastOffset + 1, timeoutMs);
}

async function producePartition(
  s: BrokerServices,
  t: TopicState,
  pd: ProduceRequestPartitionProduceData,
  acks: number,
  timeoutMs: number,
): Promise<ProduceResponsePartitionProduceResponse> {
  const p = s.topics.leaderPartition(t.name, pd.index);
  if (typeof p === "number") return partitionError(pd.index, p);
  const notEnough = insyncError(s, t, p, acks);
  if (notEnough !== ErrorCode.NONE) return partitionError(pd.index, notEnough);
  const records = recordsToBuffer(pd.records);
  if (records === null) return partitionError(pd.index, ErrorCode.INVALID_RECORD, "null record set");
  if (records.length < RECORD_BATCH_OVERHEAD)
    return partitionError(pd.index, ErrorCode.CORRUPT_MESSAGE, "record set shorter than a batch header");
  // Idempotent producer (KIP-98): sequence checked on a single-batch record set, the clients' shape.
  const singleBatch = LOG_OVERHEAD + records.readInt32BE(BATCH_LENGTH_OFFSET) === records.length;
  const producerId = singleBatch ? records.readBigInt64BE(PRODUCER_ID_OFFSET) : -1n;
  let firstSeq = 0;
  let lastSeq = 0;
  let epoch = 0;
  let settle: ((baseOffset: number) => void) | undefined;
  if (producerId >= 0n) {
    epoch = records.readInt16BE(PRODUCER_EPOCH_OFFSET);
    firstSeq = records.readInt32BE(BASE_SEQUENCE_OFFSET);
    lastSeq = firstSeq + records.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    const state = s.producerState(t.name, pd.index);
    const check = state.check(producerId, epoch, firstSeq, lastSeq);
    if (check.kind === "error") return partitionError(pd.index, check.errorCode);
    if (check.kind === "duplicate") {
      const baseOffset = await check.baseOffset;
      // The original is still failing or failed: the client retries and the retry is appended.
      if (baseOffset < 0) return partitionError(pd.index, ErrorCode.NOT_ENOUGH_REPLICAS);
      // A duplicate is answered like its original: once replicated (Kafka waits on it the same way).
      const dupCode = await committed(s, p, baseOffset + (lastSeq - firstSeq), acks, timeoutMs);
      if (dupCode !== ErrorCode.NONE) return partitionError(pd.index, dupCode);
      return {
        index: pd.index,
        errorCode: 0,
        baseOffset: BigInt(baseOffset),
        logAppendTimeMs: -1n,
        logStartOffset: BigInt(p.log.logStartOffset),
        recordErrors: [],
        errorMessage: null,
      };
    }
    settle = state.begin(producerId, epoch, firstSeq, lastSeq);
  }
  let r: Awaited<ReturnType<BrokerServices["append"]>>;
  try {
    r = await s.append(t.name, pd.index, records);
  } catch (e) {
    settle?.(-1);
    throw e;
  }
  settle?.(r.errorCode === ErrorCode.NONE ? r.baseOffset : -1);
  if (r.errorCode !== ErrorCode.NONE) return partitionError(pd.index, r.errorCode, r.errorMessage);
  s.metrics.recordsProduced += r.lastOffset - r.baseOffset + 1;
  const commitCode = await committed(s, p, r.lastOffset, acks, timeoutMs);
  if (commitCode !== ErrorCode.NONE) return partitionError(pd.index, commitCode);
  return {
    index: pd.index,
    errorCode: 0,
    baseOffset: BigInt(r.baseOffset),
    logAppendTimeMs: BigInt(r.logAppendTimeMs),
    logStartOffset: BigInt(r.logStartOffset),
    recordErrors: [],
    errorMessage: null,
  };
}

/**
 * The common shape (one topic, one partition per request, e.g. librdkafka at linger.ms=0): the
 * storage append's own promise plus one continuation, and a response encoded without message
 * objects or BigInts. Same checks and answers as producePartition.
 */
function produceOne(
  s: BrokerServices,
  t: TopicState,
  p: LeaderPartition,
  pd: ProduceRequestPartitionProduceData,
  acks: number,
  timeoutMs: number,
): ProducePartitionResponse | NoResponse | Promise<ProducePartitionResponse | NoResponse> {
  const name = t.name;
  const index = pd.index;
  const records = pd.records === null ? null : recordsToBuffer(pd.records);
  if (records === null) return failed(name, index, acks, ErrorCode.INVALID_RECORD, "null record set");
  if (records.length < RECORD_BATCH_OVERHEAD)
    return failed(name, index, acks, ErrorCode.CORRUPT_MESSAGE, "record set shorter than a batch header");
  const log = p.log;
  const notEnough = insyncError(s, t, p, acks);
  if (notEnough !== ErrorCode.NONE) return failed(name, index, acks, notEnough, null);
  const singleBatch = LOG_OVERHEAD + records.readInt32BE(BATCH_LENGTH_OFFSET) === records.length;
  // The producer id's sign is its top byte's: no BigInt unless the producer is idempotent.
  const idempotent = singleBatch && records.readInt8(PRODUCER_ID_OFFSET) >= 0;
  if (idempotent) return produceIdempotent(s, t, pd, records, acks, timeoutMs);
  return log.append(records, p.leaderEpoch).then(
    (r): ProducePartitionResponse | NoResponse | Promise<ProducePartitionResponse | NoResponse> => {
      s.metrics.recordsProduced += r.lastOffset - r.baseOffset + 1;
      if (p.replicas.length <= 1) {
        s.appendWaiters.notify(name, index, records.length);
        return acks === 0
          ? NO_RESPONSE
          : new ProducePartitionResponse(name, index, 0, r.baseOffset, r.logAppendTimeMs, log.logStartOffset, null);
      }
      s.replicas.afterLeaderAppend(name, p, records.length);
      const answer = (code: number) =>
        code !== ErrorCode.NONE
          ? failed(name, index, acks, code, null)
          : acks === 0
            ? NO_RESPONSE
            : new ProducePartitionResponse(name, index, 0, r.baseOffset, r.logAppendTimeMs, log.logStartOffset, null);
      const code = committed(s, p, r.lastOffset, acks, timeoutMs);
      return typeof code === "number" ? answer(code) : code.then(answer);
    },
    (e: unknown) => failed(name, index, acks, s.appendErrorCode(e, name, index), (e as Error).message),
  );
}

function failed(
  name: string,
  index: number,
  acks: number,
  errorCode: number,
  errorMessage: string | null,
): ProducePartitionResponse | NoResponse {
  return acks === 0 ? NO_RESPONSE : new ProducePartitionResponse(name, index, errorCode, -1, -1, -1, errorMessage);
}

/** Idempotent producers: the general path (sequence checks), answered directly. */
async function produceIdempotent(
  s: BrokerServices,
  t: TopicState,
  pd: ProduceRequestPartitionProduceData,
  records: Buffer,
  acks: number,
  timeoutMs: number,
): Promise<ProducePartitionResponse | NoResponse> {
  const r = await producePartition(s, t, { index: pd.index, records }, acks, timeoutMs);
  if (acks === 0) return NO_RESPONSE;
  return new ProducePartitionResponse(
    t.name,
    r.index,
    r.errorCode,
    Number(r.baseOffset),
    Number(r.logAppendTimeMs ?? -1n),
    Number(r.logStartOffset ?? -1n),
    r.errorMessage ?? null,
  );
}

type ProduceAnswer = ProduceResponse | ProducePartitionResponse | NoResponse;

/** One lookup of the partition: led here -> the direct path; else the general path answers with KIP-951's leader hints. */
function produceOneOrMany(
  s: BrokerServices,
  req: ProduceRequest,
  t: TopicState,
  pd: ProduceRequestPartitionProduceData,
  acks: number,
): ProduceAnswer | Promise<ProduceAnswer> {
  const p = s.topics.leaderPartition(t.name, pd.index);
  return typeof p === "number" ? produceMany(s, req) : produceOne(s, t, p, pd, acks, req.timeoutMs);
}

export const produceHandler: Handler<ProduceRequest, ProduceResponse | ProducePartitionResponse, BrokerServices> = {
  apiKey: ApiKey.Produce,
  minVersion: 3,
  maxVersion: 11,
  advertise: { minVersion: 0, maxVersion: 11 },
  handle(req, ctx) {
    const s = ctx.services;
    const acks = req.acks;
    const badAcks = acks !== -1 && acks !== 0 && acks !== 1;
    const only = req.topicData.length === 1 ? req.topicData[0]! : undefined;
    if (!badAcks && only !== undefined && only.partitionData.length === 1) {
      const pd = only.partitionData[0]!;
      const t = s.topics.get(only.name);
      if (t !== undefined) return produceOneOrMany(s, req, t, pd, acks);
      return resolveTopic(s, only.name).then((rt): ProduceAnswer | Promise<ProduceAnswer> =>
        typeof rt !== "number"
          ? produceOneOrMany(s, req, rt, pd, acks)
          : acks === 0
            ? NO_RESPONSE
            : new ProducePartitionResponse(only.name, pd.index, rt, -1, -1, -1, null),
      );
    }
    return produceMany(s, req);
  },
  errorResponse(req, errorCode) {
    return {
      responses: req.topicData.map((td) => ({
        name: td.name,
        partitionResponses: td.partitionData.map((pd) => partitionError(pd.index, errorCode)),
      })),
      throttleTimeMs: 0,
    };
  },
};

async function produceMany(s: BrokerServices, req: ProduceRequest): Promise<ProduceResponse | NoResponse> {
  const badAcks = req.acks !== -1 && req.acks !== 0 && req.acks !== 1;
  const responses = await Promise.all(
    req.topicData.map(async (td) => {
      // An existing topic is looked up synchronously: idempotent batches must be sequence-checked in
      // arrival order, whatever the request's shape.
      const t = badAcks ? ErrorCode.INVALID_REQUIRED_ACKS : (s.topics.get(td.name) ?? (await resolveTopic(s, td.name)));
      const partitionResponses =
        typeof t === "number"
          ? td.partitionData.map((pd) => partitionError(pd.index, t))
          : await Promise.all(td.partitionData.map((pd) => producePartition(s, t, pd, req.acks, req.timeoutMs)));
      return { name: td.name, partitionResponses };
    }),
  );
  if (req.acks === 0) return NO_RESPONSE;
  return { responses, throttleTimeMs: 0, nodeEndpoints: addLeaderHints(s, responses) };
}

/** KIP-951 (Produce v10+): currentLeader on NOT_LEADER_OR_FOLLOWER partitions, their endpoints. */
function addLeaderHints(s: BrokerServices, responses: ProduceResponse["responses"]): NodeEndpoint[] {
  const endpoints = new NodeEndpoints();
  const image = s.topics.image;
  for (const td of responses) {
    for (const pr of td.partitionResponses) {
      const hint = leaderHint(image, pr.errorCode, td.name, pr.index, s.listenerName);
      if (hint === null) continue;
      pr.currentLeader = hint.currentLeader;
      endpoints.add(hint);
    }
  }
  return endpoints.list();
}
