// OffsetForLeaderEpoch (key 23), v2-4 (KIP-101/279): the end offset of a leader epoch, from the
// partition's leader-epoch cache.
import {
  ApiKey,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const offsetForLeaderEpochHandler: Handler<
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  BrokerServices
> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 2,
  maxVersion: 4,
  handle(req, ctx) {
    const s = ctx.services;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((rp): OffsetForLeaderEpochResponseEpochEndOffset => {
          const p = s.topics.partition(t.topic, rp.partition);
          if (p === undefined)
            return {
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              partition: rp.partition,
              leaderEpoch: -1,
              endOffset: -1n,
            };
          const current = rp.currentLeaderEpoch ?? -1;
          if (current >= 0 && current !== p.leaderEpoch) {
            return {
              errorCode: current > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH,
              partition: rp.partition,
              leaderEpoch: -1,
              endOffset: -1n,
            };
          }
          const r = p.log.endOffsetForEpoch(rp.leaderEpoch);
          return { errorCode: 0, partition: rp.partition, leaderEpoch: r.leaderEpoch, endOffset: BigInt(r.endOffset) };
        }),
      })),
    };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n })),
      })),
    };
  },
};
