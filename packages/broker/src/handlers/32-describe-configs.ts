// DescribeConfigs (key 32), v1-4: topic configs (overrides and broker defaults) and broker configs.
import {
  ApiKey,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResult,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import { describeBrokerConfigs, describeTopicConfigs, ResourceType } from "./config-resources.js";
import { resourceErrors } from "./admin-responses.js";
import type { Handler } from "./types.js";

export const describeConfigsHandler: Handler<DescribeConfigsRequest, DescribeConfigsResponse, BrokerServices> = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 1,
  maxVersion: 4,
  handle(req, ctx) {
    const s = ctx.services;
    const results: DescribeConfigsResponseDescribeConfigsResult[] = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const described =
        r.resourceType === ResourceType.TOPIC
          ? describeTopicConfigs(s, r.resourceName)
          : r.resourceType === ResourceType.BROKER
            ? describeBrokerConfigs(s, r.resourceName)
            : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}` };
      if (!Array.isArray(described)) return { ...base, ...described, configs: [] };
      const keys = r.configurationKeys;
      const configs = (
        keys === null || keys.length === 0 ? described : described.filter((c) => keys.includes(c.name))
      ).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        isDefault: c.isDefault,
        configSource: c.configSource,
        isSensitive: c.isSensitive,
        synonyms: [],
        configType: c.configType,
        documentation: null,
      }));
      return { ...base, errorCode: 0, errorMessage: null, configs };
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      results: resourceErrors(req.resources, errorCode, null).map((r) => ({ ...r, configs: [] })),
    };
  },
};
