// OffsetForLeaderEpoch (key 23), v2-4 (KIP-101/279): the end offset of a leader epoch, from the
// partition's leader-epoch cache.
import {
  ApiKey,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from "@gregor/protocol";
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
          const lookup = s.topics.leaderPartition(t.topic, rp.partition, rp.currentLeaderEpoch ?? -1);
          if (typeof lookup === "number")
            return { errorCode: lookup, partition: rp.partition, leaderEpoch: -1, endOffset: -1n };
          const r = lookup.log.endOffsetForEpoch(rp.leaderEpoch);
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
