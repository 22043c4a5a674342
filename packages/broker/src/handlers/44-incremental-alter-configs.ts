// IncrementalAlterConfigs (key 44), v0-1 (KIP-339): SET, DELETE, APPEND, SUBTRACT per key.
import { ApiKey, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse } from "@gregor/protocol";
import { topicConfigValue } from "../config/topic-config.js";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import { applyTopicConfigs, brokerNotAlterable, isListConfig, ResourceType } from "./config-resources.js";
import { resourceErrors } from "./admin-responses.js";
import type { Handler } from "./types.js";

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

export const incrementalAlterConfigsHandler: Handler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
  BrokerServices
> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const s = ctx.services;
    const responses = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (r.resourceType === ResourceType.BROKER) {
        responses.push({ ...base, ...brokerNotAlterable(s, r.resourceName) });
        continue;
      }
      if (r.resourceType !== ResourceType.TOPIC) {
        responses.push({
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Unsupported resource type ${r.resourceType}`,
        });
        continue;
      }
      const t = s.topics.get(r.resourceName);
      if (t === undefined) {
        responses.push({
          ...base,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `Topic ${r.resourceName} does not exist.`,
        });
        continue;
      }
      const next: Record<string, string> = { ...t.configs };
      let failure: string | null = null;
      for (const c of r.configs) {
        if (c.configOperation === SET) {
          if (c.value === null) failure = `Null value not supported for ${c.name}`;
          else next[c.name] = c.value;
        } else if (c.configOperation === DELETE) {
          delete next[c.name];
        } else if (c.configOperation === APPEND || c.configOperation === SUBTRACT) {
          if (!isListConfig(c.name)) {
            failure = `Config value append/subtract is not allowed for config key: ${c.name}`;
            continue;
          }
          const current = (next[c.name] ?? topicConfigValue(s.config, {}, c.name)).split(",").filter((x) => x !== "");
          const items = (c.value ?? "").split(",").filter((x) => x !== "");
          const merged =
            c.configOperation === APPEND
              ? [...current, ...items.filter((x) => !current.includes(x))]
              : current.filter((x) => !items.includes(x));
          next[c.name] = merged.join(",");
        } else {
          failure = `Unknown config operation ${c.configOperation}`;
        }
      }
      if (failure !== null) responses.push({ ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: failure });
      else responses.push({ ...base, ...(await applyTopicConfigs(s, r.resourceName, next, req.validateOnly)) });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, responses: resourceErrors(req.resources, errorCode, null) };
  },
};
