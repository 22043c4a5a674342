// OffsetCommit (key 8), v2-9 (librdkafka's feature probe needs v2; Kafka 4 removed v0-1).
// Generation -1 with an empty member id commits for a consumer outside group management.
import { ApiKey, type OffsetCommitRequest, type OffsetCommitResponse } from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

function errorOf(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

export const offsetCommitHandler: Handler<OffsetCommitRequest, OffsetCommitResponse, BrokerServices> = {
  apiKey: ApiKey.OffsetCommit,
  minVersion: 2,
  maxVersion: 9,
  async handle(req, ctx) {
    const r = await coordinator(ctx).call(req.groupId, "OffsetCommit", callerOf(ctx), req);
    return isRoutingError(r) ? errorOf(req, r.errorCode) : (r as OffsetCommitResponse);
  },
  errorResponse(req, errorCode) {
    return errorOf(req, errorCode);
  },
};
