// CreatePartitions (key 37), v0-3, including validateOnly.
import { ApiKey, type CreatePartitionsRequest, type CreatePartitionsResponse } from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const createPartitionsHandler: Handler<CreatePartitionsRequest, CreatePartitionsResponse, BrokerServices> = {
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const s = ctx.services;
    const results = [];
    for (const t of req.topics) {
      if (t.assignments?.some((a) => a.brokerIds.some((b) => b !== s.nodeId))) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: "Unknown broker in the replica assignment.",
        });
        continue;
      }
      const r = await s.topics.createPartitions(t.name, t.count, req.validateOnly);
      results.push({ name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
};
