// Admin writes on the CONTROLLER listener (KIP-590 forwarding target): CreateTopics 19,
// DeleteTopics 20, AlterConfigs 33, CreatePartitions 37, IncrementalAlterConfigs 44. The active
// controller answers them through its write queue; any other node answers NOT_CONTROLLER per
// resource so the sender retries at the active controller.
import type {
  AlterConfigsRequest,
  AlterConfigsResponse,
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from "@gregor/protocol";
import type { Handler } from "../../handlers/types.js";
import {
  AlterConfigOp,
  configsOf,
  type IncrementalAlterConfigsRequest as ControllerAlterConfigs,
  type MetadataImage,
} from "../index.js";
import { type ControllerServices, controllerWrite, ZERO_UUID } from "./controller-services.js";

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
        topics: req.topics.map((t) => ({
          name: t.name,
          topicId: "",
          errorCode,
          errorMessage,
          numPartitions: -1,
          replicationFactor: -1,
        })),
      }),
    );
    return {
      throttleTimeMs: 0,
      topics: result.topics.map((t) => ({
        name: t.name,
        topicId: t.topicId === "" ? ZERO_UUID : t.topicId,
        errorCode: t.errorCode,
        errorMessage: t.errorMessage,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        configs: [],
      })),
    };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
};

function deleteTargets(req: DeleteTopicsRequest): { name: string | null; topicId: string | null }[] {
  if (req.topics !== undefined && req.topics.length > 0) {
    return req.topics.map((t) => ({ name: t.name, topicId: t.topicId === ZERO_UUID ? null : t.topicId }));
  }
  return (req.topicNames ?? []).map((name) => ({ name, topicId: null }));
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
      (errorCode, errorMessage) => ({
        responses: topics.map((t) => ({ name: t.name, topicId: t.topicId ?? ZERO_UUID, errorCode, errorMessage })),
      }),
    );
    return {
      throttleTimeMs: 0,
      responses: result.responses.map((r) => ({
        name: r.name,
        topicId: r.topicId === "" ? ZERO_UUID : r.topicId,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
      })),
    };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: deleteTargets(req).map((t) => ({ name: t.name, topicId: t.topicId ?? ZERO_UUID, errorCode })),
    };
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
      (errorCode, errorMessage) => ({ results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage })) }),
    );
    return { throttleTimeMs: 0, results: result.results };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
};

export const controllerIncrementalAlterConfigsHandler: Handler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
  ControllerServices
> = {
  apiKey: 44,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) => controller.incrementalAlterConfigs(req, nowMs),
      (errorCode, errorMessage) => ({
        responses: req.resources.map((r) => ({
          errorCode,
          errorMessage,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        })),
      }),
    );
    return { throttleTimeMs: 0, responses: result.responses };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: req.resources.map((r) => ({
        errorCode,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
      })),
    };
  },
};

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

export const controllerAlterConfigsHandler: Handler<AlterConfigsRequest, AlterConfigsResponse, ControllerServices> = {
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) => controller.incrementalAlterConfigs(asIncremental(req, controller.image), nowMs),
      (errorCode, errorMessage) => ({
        responses: req.resources.map((r) => ({
          errorCode,
          errorMessage,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        })),
      }),
    );
    return { throttleTimeMs: 0, responses: result.responses };
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: req.resources.map((r) => ({
        errorCode,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
      })),
    };
  },
};
