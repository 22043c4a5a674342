// The handler table: one entry per API key. ApiVersions is built from this list, so adding a
// handler here is all it takes to serve and advertise a new API.
import { produceHandler } from "./00-produce.js";
import { fetchHandler } from "./01-fetch.js";
import { listOffsetsHandler } from "./02-list-offsets.js";
import { metadataHandler } from "./03-metadata.js";
import { apiVersionsHandler } from "./18-api-versions.js";
import { createTopicsHandler } from "./19-create-topics.js";
import { deleteTopicsHandler } from "./20-delete-topics.js";
import { deleteRecordsHandler } from "./21-delete-records.js";
import { initProducerIdHandler } from "./22-init-producer-id.js";
import { offsetForLeaderEpochHandler } from "./23-offset-for-leader-epoch.js";
import { describeConfigsHandler } from "./32-describe-configs.js";
import { describeLogDirsHandler } from "./35-describe-log-dirs.js";
import { alterConfigsHandler } from "./33-alter-configs.js";
import { createPartitionsHandler } from "./37-create-partitions.js";
import { electLeadersHandler } from "./43-elect-leaders.js";
import { incrementalAlterConfigsHandler } from "./44-incremental-alter-configs.js";
import { alterPartitionReassignmentsHandler } from "./45-alter-partition-reassignments.js";
import { listPartitionReassignmentsHandler } from "./46-list-partition-reassignments.js";
import { describeClusterHandler } from "./60-describe-cluster.js";
import { describeQuorumBrokerHandler } from "./55-describe-quorum.js";
import { offsetCommitHandler } from "./08-offset-commit.js";
import { offsetFetchHandler } from "./09-offset-fetch.js";
import { findCoordinatorHandler } from "./10-find-coordinator.js";
import { joinGroupHandler } from "./11-join-group.js";
import { heartbeatHandler } from "./12-heartbeat.js";
import { leaveGroupHandler } from "./13-leave-group.js";
import { syncGroupHandler } from "./14-sync-group.js";
import { describeGroupsHandler } from "./15-describe-groups.js";
import { listGroupsHandler } from "./16-list-groups.js";
import { deleteGroupsHandler } from "./42-delete-groups.js";
import { offsetDeleteHandler } from "./47-offset-delete.js";
import type { Handler } from "./types.js";

export const HANDLERS: readonly Handler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  // Balance and movement (KIP-460, KIP-455): forwarded to the active controller.
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  describeClusterHandler,
  // The metadata quorum (kafka-metadata-quorum.sh --bootstrap-server): answered or forwarded by the node.
  describeQuorumBrokerHandler,
  // Consumer groups (group/): coordinator APIs.
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
];
