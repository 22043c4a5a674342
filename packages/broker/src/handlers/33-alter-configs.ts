// AlterConfigs (key 33), v0-2: replaces a topic's whole override set (non-incremental semantics).
import { ApiKey, type AlterConfigsRequest, type AlterConfigsResponse } from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import { applyTopicConfigs, brokerNotAlterable, ResourceType } from "./config-resources.js";
import { resourceErrors } from "./admin-responses.js";
import type { Handler } from "./types.js";

export const alterConfigsHandler: Handler<AlterConfigsRequest, AlterConfigsResponse, BrokerServices> = {
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const s = ctx.services;
    const responses = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (r.resourceType === ResourceType.TOPIC) {
        const next: Record<string, string> = {};
        for (const c of r.configs) if (c.value !== null) next[c.name] = c.value;
        responses.push({ ...base, ...(await applyTopicConfigs(s, r.resourceName, next, req.validateOnly)) });
      } else if (r.resourceType === ResourceType.BROKER) {
        responses.push({ ...base, ...brokerNotAlterable(s, r.resourceName) });
      } else {
        responses.push({
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Unsupported resource type ${r.resourceType}`,
        });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, responses: resourceErrors(req.resources, errorCode, null) };
  },
};
