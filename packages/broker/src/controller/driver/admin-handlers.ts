// Admin writes on the CONTROLLER listener (KIP-590 forwarding target): CreateTopics 19,
// DeleteTopics 20, AlterConfigs 33, CreatePartitions 37, IncrementalAlterConfigs 44. The active
// controller answers them through its write queue; any other node answers NOT_CONTROLLER per
// resource so the sender retries at the active controller.
import {
  ApiKey,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from "@gregor/protocol";
import { resourceErrors, topicErrors } from "../../handlers/admin-responses.js";
import type { Handler } from "../../handlers/types.js";
import {
  AlterConfigOp,
  configsOf,
  type IncrementalAlterConfigsRequest as ControllerAlterConfigs,
  type MetadataImage,
} from "../index.js";
import { type ControllerServices, controllerWrite, ZERO_UUID } from "./controller-services.js";

/** A controller topic result, with Kafka's zero uuid where the controller leaves the id "" (on error). */
function withTopicId<T extends { topicId: string }>(t: T): T {
  return { ...t, topicId: t.topicId === "" ? ZERO_UUID : t.topicId };
}

export const controllerCreateTopicsHandler: Handler<CreateTopicsRequest, CreateTopicsResponse, ControllerServices> = {
  apiKey: 19,
  minVersion: 2,
  maxVersion: 7,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) =>
        controller.createTopics({ topics: req.topics, validateOnly: req.validateOnly ?? false }, nowMs),
      (errorCode, errorMessage) => ({
        topics: topicErrors(req.topics, errorCode, errorMessage).map((t) => ({
          ...t,
          topicId: "",
          numPartitions: -1,
          replicationFactor: -1,
        })),
      }),
    );
    return {
      throttleTimeMs: 0,
      topics: result.topics.map((t) => ({ ...withTopicId(t), configs: [] })),
    };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, topics: topicErrors(req.topics, errorCode, null) };
  },
};

function deleteTargets(req: DeleteTopicsRequest): { name: string | null; topicId: string | null }[] {
  if (req.topics !== undefined && req.topics.length > 0) {
    return req.topics.map((t) => ({ name: t.name, topicId: t.topicId === ZERO_UUID ? null : t.topicId }));
  }
  return (req.topicNames ?? []).map((name) => ({ name, topicId: null }));
}

function deleteErrors(
  targets: readonly { name: string | null; topicId: string | null }[],
  errorCode: number,
  errorMessage: string | null,
): { name: string | null; topicId: string; errorCode: number; errorMessage: string | null }[] {
  return targets.map((t) => ({ name: t.name, topicId: t.topicId ?? ZERO_UUID, errorCode, errorMessage }));
}

export const controllerDeleteTopicsHandler: Handler<DeleteTopicsRequest, DeleteTopicsResponse, ControllerServices> = {
  apiKey: 20,
  minVersion: 1,
  maxVersion: 6,
  async handle(req, ctx) {
    const topics = deleteTargets(req);
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) => controller.deleteTopics({ topics }, nowMs),
      (errorCode, errorMessage) => ({ responses: deleteErrors(topics, errorCode, errorMessage) }),
    );
    return {
      throttleTimeMs: 0,
      responses: result.responses.map(withTopicId),
    };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, responses: deleteErrors(deleteTargets(req), errorCode, null) };
  },
};

export const controllerCreatePartitionsHandler: Handler<
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  ControllerServices
> = {
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) => controller.createPartitions({ topics: req.topics, validateOnly: req.validateOnly }, nowMs),
      (errorCode, errorMessage) => ({ results: topicErrors(req.topics, errorCode, errorMessage) }),
    );
    return { throttleTimeMs: 0, results: result.results };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: topicErrors(req.topics, errorCode, null) };
  },
};

/**
 * AlterConfigs 33 and IncrementalAlterConfigs 44 differ only in the controller request they make:
 * both commit as the controller's incremental alter.
 */
function configsHandler<Req extends AlterConfigsRequest | IncrementalAlterConfigsRequest>(
  apiKey: ApiKey,
  maxVersion: number,
  toController: (req: Req, image: MetadataImage) => ControllerAlterConfigs,
): Handler<Req, AlterConfigsResponse & IncrementalAlterConfigsResponse, ControllerServices> {
  return {
    apiKey,
    minVersion: 0,
    maxVersion,
    async handle(req, ctx) {
      const result = await controllerWrite(
        ctx.services,
        (controller, nowMs) => controller.incrementalAlterConfigs(toController(req, controller.image), nowMs),
        (errorCode, errorMessage) => ({ responses: resourceErrors(req.resources, errorCode, errorMessage) }),
      );
      return { throttleTimeMs: 0, responses: result.responses };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, responses: resourceErrors(req.resources, errorCode, null) };
    },
  };
}

export const controllerIncrementalAlterConfigsHandler: Handler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
  ControllerServices
> = configsHandler<IncrementalAlterConfigsRequest>(ApiKey.IncrementalAlterConfigs, 1, (req) => req);

/** AlterConfigs replaces a resource's configs: SET what is given, DELETE every other key set now. */
function asIncremental(req: AlterConfigsRequest, image: MetadataImage): ControllerAlterConfigs {
  return {
    validateOnly: req.validateOnly,
    resources: req.resources.map((r) => {
      const given = new Set(r.configs.map((c) => c.name));
      const removed = [...configsOf(image, r.resourceType, r.resourceName).keys()].filter((k) => !given.has(k));
      return {
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: [
          ...r.configs.map((c) => ({ name: c.name, configOperation: AlterConfigOp.SET, value: c.value })),
          ...removed.map((name) => ({ name, configOperation: AlterConfigOp.DELETE, value: null })),
        ],
      };
    }),
  };
}

export const controllerAlterConfigsHandler: Handler<AlterConfigsRequest, AlterConfigsResponse, ControllerServices> =
  configsHandler<AlterConfigsRequest>(ApiKey.AlterConfigs, 2, asIncremental);
