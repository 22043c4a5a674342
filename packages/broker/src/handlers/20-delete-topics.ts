// DeleteTopics (key 20), v1-6 (v6 may name topics by id).
import {
  ApiKey,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

function requested(req: DeleteTopicsRequest): { name: string | null; topicId: string }[] {
  if (req.topics !== undefined && req.topics.length > 0) return req.topics;
  return (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));
}

export const deleteTopicsHandler: Handler<DeleteTopicsRequest, DeleteTopicsResponse, BrokerServices> = {
  apiKey: ApiKey.DeleteTopics,
  minVersion: 1,
  maxVersion: 6,
  async handle(req, ctx) {
    const s = ctx.services;
    const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
    for (const r of requested(req)) {
      const t = r.name !== null ? s.topics.get(r.name) : s.topics.getById(r.topicId);
      if (t === undefined) {
        responses.push({
          name: r.name,
          topicId: r.topicId,
          errorCode: r.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: "This server does not host this topic-partition.",
        });
        continue;
      }
      if (!s.config["delete.topic.enable"]) {
        responses.push({
          name: t.name,
          topicId: t.topicId,
          errorCode: ErrorCode.TOPIC_DELETION_DISABLED,
          errorMessage: "Topic deletion is disabled.",
        });
        continue;
      }
      if (t.isInternal) {
        responses.push({
          name: t.name,
          topicId: t.topicId,
          errorCode: ErrorCode.INVALID_REQUEST /* TOPIC_AUTHORIZATION_FAILED in Kafka */,
          errorMessage: `Internal topic ${t.name} cannot be deleted.`,
        });
        continue;
      }
      const result = await s.admin.delete(t);
      // Waiting fetches on the deleted partitions answer now (with UNKNOWN_TOPIC_OR_PARTITION).
      s.appendWaiters.completeAll();
      s.logger.info({ topic: t.name }, "deleted topic");
      responses.push({
        name: t.name,
        topicId: t.topicId,
        errorCode: result.errorCode,
        errorMessage: result.errorMessage,
      });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: requested(req).map((r) => ({ name: r.name, topicId: r.topicId, errorCode, errorMessage: null })),
    };
  },
};
