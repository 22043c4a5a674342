// CreateTopics (key 19), v2-7, including validateOnly. Forwarded to the active controller (KIP-590),
// which validates, places replicas and commits the topic; answered once this broker's image has it.
import {
  ApiKey,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
} from "@gregor/protocol";
import { resolveTopicConfigs } from "../config/topic-config.js";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const DYNAMIC_TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;

export const createTopicsHandler: Handler<CreateTopicsRequest, CreateTopicsResponse, BrokerServices> = {
  apiKey: ApiKey.CreateTopics,
  minVersion: 2,
  maxVersion: 7,
  async handle(req, ctx) {
    const s = ctx.services;
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    for (const t of req.topics) {
      const base = {
        name: t.name,
        topicId: ZERO_UUID,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      };
      if ((seen.get(t.name) ?? 0) > 1) {
        topics.push({
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Create topics request from client contains duplicate topic name ${t.name}`,
        });
        continue;
      }
      const configs: Record<string, string> = {};
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
      let numPartitions = t.numPartitions;
      let rf = t.replicationFactor;
      if (t.assignments.length > 0) {
        if (numPartitions !== -1 || rf !== -1) {
          topics.push({
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage:
              "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.",
          });
          continue;
        }
        numPartitions = t.assignments.length;
        rf = t.assignments[0]?.brokerIds.length ?? 1;
      }
      const assignments = [...t.assignments]
        .sort((a, b) => a.partitionIndex - b.partitionIndex)
        .map((a) => a.brokerIds);
      const spec = { name: t.name, numPartitions, replicationFactor: rf, configs, assignments };
      const result = await s.admin.create(spec, req.validateOnly === true);
      if (result.errorCode !== ErrorCode.NONE) {
        topics.push({ ...base, errorCode: result.errorCode, errorMessage: result.errorMessage });
        continue;
      }
      const partitions = result.numPartitions;
      if (req.validateOnly !== true) s.logger.info({ topic: t.name, partitions }, "created topic");
      topics.push({
        name: t.name,
        topicId: req.validateOnly === true ? ZERO_UUID : result.topicId,
        errorCode: 0,
        errorMessage: null,
        topicConfigErrorCode: 0,
        numPartitions: partitions,
        replicationFactor: result.replicationFactor,
        configs: resolveTopicConfigs(s.config, configs).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: false,
          configSource: c.isDefault ? DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG,
          isSensitive: false,
        })),
      });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        topicId: ZERO_UUID,
        errorCode,
        errorMessage: null,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      })),
    };
  },
};
