// The controller's pure state machine (Kafka's QuorumController and its *ControlManagers, KIP-631).
// Operations read the current MetadataImage and return records plus a response; they never change
// the image. replay(records, offset) is the only way the image changes, on the active controller and
// on every standby alike, so any node can take over. Soft state that is not in the log (broker
// session deadlines, Kafka's BrokerHeartbeatManager) lives beside the image on the active node.
// No I/O, no clock, no Math.random: time arrives as nowMs, randomness from options.random.
import { EMPTY_IMAGE, type MetadataImage } from "./image.js";
import type { MetadataRecord } from "./records.js";
import type {
  AllocateProducerIdsRequest,
  AllocateProducerIdsResponse,
  AlterPartitionRequest,
  AlterPartitionResponse,
  BrokerHeartbeatRequest,
  BrokerHeartbeatResponse,
  BrokerRegistrationRequest,
  BrokerRegistrationResponse,
  ControllerResult,
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  ElectLeadersRequest,
  ElectLeadersResponse,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from "./requests.js";

export interface QuorumControllerOptions {
  clusterId: string;
  /** broker.session.timeout.ms: a broker that has not heartbeated for this long is fenced. */
  brokerSessionTimeoutMs?: number;
  /** default.replication.factor for CreateTopics with replicationFactor -1. */
  defaultReplicationFactor?: number;
  /** num.partitions for CreateTopics with numPartitions -1. */
  numPartitions?: number;
  /** Uniform in [0, 1): topic ids and replica placement. Seeded in tests. */
  random: () => number;
}

export class QuorumController {
  constructor(readonly options: QuorumControllerOptions) {}

  /** The current image (immutable). */
  get image(): MetadataImage {
    return EMPTY_IMAGE;
  }

  /** Apply a committed batch; offset is the log index of the entry that carried it. */
  replay(_records: readonly MetadataRecord[], _offset: number): void {
    throw new Error("not implemented");
  }

  /** Start from a snapshot image (e.g. loaded from disk) instead of replaying from the start. */
  loadImage(_image: MetadataImage): void {
    throw new Error("not implemented");
  }

  /** Called when this node becomes the active controller: every broker gets a fresh session. */
  activate(_nowMs: number): void {
    throw new Error("not implemented");
  }

  /** Records the first active controller writes into an empty log (FeatureLevel records). */
  bootstrap(_clusterId: string, _features: ReadonlyMap<string, number>): MetadataRecord[] {
    throw new Error("not implemented");
  }

  registerBroker(_req: BrokerRegistrationRequest, _nowMs: number): ControllerResult<BrokerRegistrationResponse> {
    throw new Error("not implemented");
  }

  brokerHeartbeat(_req: BrokerHeartbeatRequest, _nowMs: number): ControllerResult<BrokerHeartbeatResponse> {
    throw new Error("not implemented");
  }

  /** Fences at most one broker whose session expired (one per call, like Kafka). */
  tick(_nowMs: number): MetadataRecord[] {
    throw new Error("not implemented");
  }

  /** Fences a broker now (the runtime's fast path for a dropped connection). */
  fenceBroker(_brokerId: number): MetadataRecord[] {
    throw new Error("not implemented");
  }

  createTopics(_req: CreateTopicsRequest, _nowMs: number): ControllerResult<CreateTopicsResponse> {
    throw new Error("not implemented");
  }

  deleteTopics(_req: DeleteTopicsRequest, _nowMs: number): ControllerResult<DeleteTopicsResponse> {
    throw new Error("not implemented");
  }

  createPartitions(_req: CreatePartitionsRequest, _nowMs: number): ControllerResult<CreatePartitionsResponse> {
    throw new Error("not implemented");
  }

  incrementalAlterConfigs(
    _req: IncrementalAlterConfigsRequest,
    _nowMs: number,
  ): ControllerResult<IncrementalAlterConfigsResponse> {
    throw new Error("not implemented");
  }

  allocateProducerIds(_req: AllocateProducerIdsRequest, _nowMs: number): ControllerResult<AllocateProducerIdsResponse> {
    throw new Error("not implemented");
  }

  alterPartition(_req: AlterPartitionRequest, _nowMs: number): ControllerResult<AlterPartitionResponse> {
    throw new Error("not implemented");
  }

  electLeaders(_req: ElectLeadersRequest, _nowMs: number): ControllerResult<ElectLeadersResponse> {
    throw new Error("not implemented");
  }
}
