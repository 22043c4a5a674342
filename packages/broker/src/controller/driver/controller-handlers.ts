// The CONTROLLER listener's handler table (separate from the broker's handlers/index.ts): what a
// controller answers, and what its ApiVersions advertises. Raft's internal key is handled by the
// listener itself and never advertised.
import { apiVersionsHandler } from "../../handlers/18-api-versions.js";
import { describeQuorumHandler } from "../../handlers/55-describe-quorum.js";
import { alterPartitionHandler } from "../../handlers/56-alter-partition.js";
import { brokerRegistrationHandler } from "../../handlers/62-broker-registration.js";
import { brokerHeartbeatHandler } from "../../handlers/63-broker-heartbeat.js";
import { allocateProducerIdsHandler } from "../../handlers/67-allocate-producer-ids.js";
import type { Handler } from "../../handlers/types.js";
import {
  controllerAlterConfigsHandler,
  controllerCreatePartitionsHandler,
  controllerCreateTopicsHandler,
  controllerDeleteTopicsHandler,
  controllerIncrementalAlterConfigsHandler,
} from "./admin-handlers.js";
import { controllerAlterPartitionReassignmentsHandler, controllerElectLeadersHandler } from "./balance-handlers.js";
import { metadataFetchHandler, metadataFetchSnapshotHandler } from "./metadata-fetch.js";

export const CONTROLLER_HANDLERS: readonly Handler[] = [
  // ApiVersions only reads `services.handlers`, which ControllerServices has too.
  apiVersionsHandler as Handler,
  // Broker-only nodes read the metadata log with Fetch / FetchSnapshot (KRaft observers).
  metadataFetchHandler,
  metadataFetchSnapshotHandler,
  controllerCreateTopicsHandler,
  controllerDeleteTopicsHandler,
  controllerAlterConfigsHandler,
  controllerCreatePartitionsHandler,
  controllerIncrementalAlterConfigsHandler,
  controllerElectLeadersHandler,
  controllerAlterPartitionReassignmentsHandler,
  describeQuorumHandler,
  alterPartitionHandler,
  brokerRegistrationHandler,
  brokerHeartbeatHandler,
  allocateProducerIdsHandler,
];
