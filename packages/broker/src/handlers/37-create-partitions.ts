// CreatePartitions (key 37), v0-3, including validateOnly. Forwarded to the active controller
// (KIP-590), which places the new partitions (or checks a given assignment).
import { ApiKey, type CreatePartitionsRequest, type CreatePartitionsResponse } from "@gregor/protocol";
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
      const assignments = t.assignments?.map((x) => x.brokerIds) ?? null;
      const r = await s.admin.createPartitions(t.name, t.count, assignments, req.validateOnly);
      results.push({ name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
};
