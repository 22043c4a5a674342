// ListOffsets (key 2), v1-7: earliest (-2), latest (-1: the high watermark for a consumer, the log
// end offset for a replica, as Kafka answers), max timestamp (-3, v7+), or the first offset with
// timestamp >= target. A consumer is never told of an offset at or past the high watermark.
import {
  ApiKey,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

const err = (partitionIndex: number, errorCode: number): ListOffsetsResponseListOffsetsPartitionResponse => ({
  partitionIndex,
  errorCode,
  timestamp: -1n,
  offset: -1n,
  leaderEpoch: -1,
  oldStyleOffsets: [],
});

export const listOffsetsHandler: Handler<ListOffsetsRequest, ListOffsetsResponse, BrokerServices> = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 7,
  async handle(req, ctx) {
    const s = ctx.services;
    const topics = [];
    for (const rt of req.topics) {
      const partitions: ListOffsetsResponseListOffsetsPartitionResponse[] = [];
      for (const rp of rt.partitions) {
        const lookup = s.topics.leaderPartition(rt.name, rp.partitionIndex, rp.currentLeaderEpoch ?? -1);
        if (typeof lookup === "number") {
          partitions.push(err(rp.partitionIndex, lookup));
          continue;
        }
        const p = lookup;
        const ts = Number(rp.timestamp);
        const log = p.log;
        const fromConsumer = req.replicaId < 0;
        let found: { offset: number; timestamp: number; leaderEpoch: number } | null;
        if (ts === LATEST)
          found = {
            offset: fromConsumer ? log.highWatermark : log.logEndOffset,
            timestamp: -1,
            leaderEpoch: p.leaderEpoch,
          };
        else if (ts === EARLIEST) found = { offset: log.logStartOffset, timestamp: -1, leaderEpoch: p.leaderEpoch };
        else if (ts === MAX_TIMESTAMP) found = await log.maxTimestampOffset();
        else if (ts < 0) {
          partitions.push(err(rp.partitionIndex, ErrorCode.INVALID_REQUEST));
          continue;
        } else found = await log.offsetForTimestamp(ts);
        if (fromConsumer && found !== null && ts !== LATEST && ts !== EARLIEST && found.offset >= log.highWatermark)
          found = null;
        partitions.push(
          found === null
            ? {
                partitionIndex: rp.partitionIndex,
                errorCode: 0,
                timestamp: -1n,
                offset: -1n,
                leaderEpoch: -1,
                oldStyleOffsets: [],
              }
            : {
                partitionIndex: rp.partitionIndex,
                errorCode: 0,
                timestamp: BigInt(found.timestamp),
                offset: BigInt(found.offset),
                leaderEpoch: found.leaderEpoch,
                oldStyleOffsets: [],
              },
        );
      }
      topics.push({ name: rt.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => err(p.partitionIndex, errorCode)),
      })),
    };
  },
};
