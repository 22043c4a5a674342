// Leadership and replica movement on the CONTROLLER listener (KIP-590 forwarding targets):
// ElectLeaders 43 (KIP-460) and AlterPartitionReassignments 45 (KIP-455). The active controller
// answers through its write queue; any other node answers NOT_CONTROLLER (top-level) so the
// forwarding broker retries at the active one.
import {
  ApiKey,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
} from "@gregor/protocol";
import type { Handler } from "../../handlers/types.js";
import { type ControllerServices, controllerWrite } from "./controller-services.js";

export const controllerElectLeadersHandler: Handler<ElectLeadersRequest, ElectLeadersResponse, ControllerServices> = {
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) =>
        controller.electLeaders({ electionType: req.electionType ?? 0, topicPartitions: req.topicPartitions }, nowMs),
      (errorCode) => ({ errorCode, replicaElectionResults: [] }),
    );
    return { throttleTimeMs: 0, ...result };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, replicaElectionResults: [] };
  },
};

export const controllerAlterPartitionReassignmentsHandler: Handler<
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  ControllerServices
> = {
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) => controller.alterPartitionReassignments({ topics: req.topics }, nowMs),
      (errorCode, errorMessage) => ({ errorCode, errorMessage, responses: [] }),
    );
    return { throttleTimeMs: 0, ...result };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, responses: [] };
  },
};
