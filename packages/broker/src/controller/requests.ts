// Requests and responses of the controller's operations, shaped after Kafka's RPCs
// (BrokerRegistration 62, BrokerHeartbeat 63, AlterPartition 56, CreateTopics 19, DeleteTopics 20,
// CreatePartitions 37, IncrementalAlterConfigs 44, AllocateProducerIds 67, ElectLeaders 43,
// AlterPartitionReassignments 45), fields
// camelCased. int64 fields are plain numbers here (offsets and epochs stay far below 2^53); the
// runtime converts the wire's bigints at the boundary. Errors are Kafka error codes.
import type { BrokerEndpoint, BrokerFeature, MetadataRecord } from "./records.js";

/** What every operation returns: records to commit, and the answer to send once they are applied. */
export interface ControllerResult<R> {
  records: MetadataRecord[];
  response: R;
}

export interface BrokerRegistrationRequest {
  brokerId: number;
  clusterId: string;
  incarnationId: string;
  listeners: BrokerEndpoint[];
  features: BrokerFeature[];
  rack: string | null;
  logDirs?: string[];
  /** The epoch the broker had before a clean shutdown, -1 if none (KIP-966). */
  previousBrokerEpoch?: number;
}

export interface BrokerRegistrationResponse {
  errorCode: number;
  errorMessage: string | null;
  /**
   * The broker's epoch. For a new registration this is -1 in the operation's result: the epoch is
   * the offset of the raft entry that carries the records, which the runtime knows once it has
   * proposed them — it answers with that offset (the same value replay stores in the image).
   */
  brokerEpoch: number;
}

export interface BrokerHeartbeatRequest {
  brokerId: number;
  brokerEpoch: number;
  /** The highest metadata offset the broker has replayed. */
  currentMetadataOffset: number;
  wantFence: boolean;
  wantShutDown: boolean;
}

export interface BrokerHeartbeatResponse {
  errorCode: number;
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

export interface CreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreatableTopicConfig {
  name: string;
  value: string | null;
}

export interface CreatableTopic {
  name: string;
  /** -1 = the controller's num.partitions (or the manual assignment's size). */
  numPartitions: number;
  /** -1 = the controller's default.replication.factor. */
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreatableTopicConfig[];
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  validateOnly: boolean;
}

export interface CreatableTopicResult {
  name: string;
  /** The canonical uuid string; "" on error. */
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
}

export interface CreateTopicsResponse {
  topics: CreatableTopicResult[];
}

/** One topic to delete, by name or by id (DeleteTopics v6+); the other is null. */
export interface DeleteTopicState {
  name: string | null;
  topicId: string | null;
}

export interface DeleteTopicsRequest {
  topics: DeleteTopicState[];
}

export interface DeletableTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  responses: DeletableTopicResult[];
}

export interface CreatePartitionsTopic {
  name: string;
  /** The new total partition count. */
  count: number;
  /** Replicas of each new partition, or null for the placer's choice. */
  assignments: { brokerIds: number[] }[] | null;
}

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  validateOnly: boolean;
}

export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  results: CreatePartitionsTopicResult[];
}

/** IncrementalAlterConfigs' ConfigOperation (KIP-339). */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterableConfig {
  name: string;
  configOperation: number;
  value: string | null;
}

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterableConfig[];
}

export interface IncrementalAlterConfigsRequest {
  resources: AlterConfigsResource[];
  validateOnly: boolean;
}

export interface AlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface IncrementalAlterConfigsResponse {
  responses: AlterConfigsResourceResponse[];
}

export interface AllocateProducerIdsRequest {
  brokerId: number;
  brokerEpoch: number;
}

export interface AllocateProducerIdsResponse {
  errorCode: number;
  producerIdStart: number;
  producerIdLen: number;
}

export interface BrokerState {
  brokerId: number;
  /** -1 = unknown (AlterPartition before v3 / KIP-903). */
  brokerEpoch: number;
}

export interface AlterPartitionData {
  partitionIndex: number;
  leaderEpoch: number;
  newIsrWithEpochs: BrokerState[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}

export interface AlterPartitionRequest {
  brokerId: number;
  brokerEpoch: number;
  topics: { topicId: string; partitions: AlterPartitionData[] }[];
}

export interface AlterPartitionPartitionResult {
  partitionIndex: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}

export interface AlterPartitionResponse {
  errorCode: number;
  topics: { topicId: string; partitions: AlterPartitionPartitionResult[] }[];
}

/** ElectLeaders' ElectionType (KIP-460). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface ElectLeadersRequest {
  electionType: number;
  /** null = every partition. */
  topicPartitions: { topic: string; partitions: number[] }[] | null;
}

export interface ElectLeadersPartitionResult {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ElectLeadersResponse {
  errorCode: number;
  replicaElectionResults: { topic: string; partitionResult: ElectLeadersPartitionResult[] }[];
}

/** One partition's target replicas (KIP-455); null cancels the reassignment in progress. */
export interface ReassignablePartition {
  partitionIndex: number;
  replicas: number[] | null;
}

export interface AlterPartitionReassignmentsRequest {
  topics: { name: string; partitions: ReassignablePartition[] }[];
}

export interface ReassignablePartitionResponse {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface AlterPartitionReassignmentsResponse {
  errorCode: number;
  errorMessage: string | null;
  responses: { name: string; partitions: ReassignablePartitionResponse[] }[];
}

export interface OngoingPartitionReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}
