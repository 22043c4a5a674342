// DeleteRecords (key 21), v0-2: moves a partition's log start offset (offset -1 = high watermark).
import {
  ApiKey,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const deleteRecordsHandler: Handler<DeleteRecordsRequest, DeleteRecordsResponse, BrokerServices> = {
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const s = ctx.services;
    const topics = [];
    for (const t of req.topics) {
      const partitions: DeleteRecordsResponseDeleteRecordsPartitionResult[] = [];
      for (const rp of t.partitions) {
        const lookup = s.topics.leaderPartition(t.name, rp.partitionIndex);
        if (typeof lookup === "number") {
          partitions.push({ partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: lookup });
          continue;
        }
        const p = lookup;
        const target = rp.offset === -1n ? p.log.highWatermark : Number(rp.offset);
        if (target < 0 || target > p.log.highWatermark) {
          partitions.push({
            partitionIndex: rp.partitionIndex,
            lowWatermark: -1n,
            errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
          });
          continue;
        }
        try {
          const low = await p.log.deleteRecordsBefore(target);
          partitions.push({ partitionIndex: rp.partitionIndex, lowWatermark: BigInt(low), errorCode: 0 });
        } catch (e) {
          const code =
            (e as { code?: string }).code === "OFFSET_OUT_OF_RANGE"
              ? ErrorCode.OFFSET_OUT_OF_RANGE
              : ErrorCode.KAFKA_STORAGE_ERROR;
          partitions.push({ partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: code });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })),
      })),
    };
  },
};
