// The controller's pure state machine (Kafka's QuorumController and its *ControlManagers, KIP-631).
// Operations read the current MetadataImage and return records plus a response; they never change
// the image. replay(records, offset) is the only way the image changes, on the active controller and
// on every standby alike, so any node can take over. Soft state that is not in the log (broker
// session deadlines, Kafka's BrokerHeartbeatManager) lives beside the image on the active node and
// is touched by registrations and heartbeats. The runtime runs one operation at a time: it commits
// the records and replays them before the next, so each operation sees every earlier one.
// No I/O, no clock, no Math.random: time arrives as nowMs, randomness from options.random.
import { ErrorCode } from "@gregor/protocol";
import { assert } from "../group/errors.js";
import { alterPartition, electLeaders } from "./alter-partition.js";
import { BrokerHeartbeatManager } from "./broker-heartbeat-manager.js";
import { brokerHeartbeat, fenceRecords, registerBroker } from "./cluster-control.js";
import { incrementalAlterConfigs } from "./config-control.js";
import { MetadataDelta } from "./delta.js";
import { alterPartitionReassignments } from "./reassignment.js";
import { balancePartitionLeaders, DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE } from "./leader-balance.js";
import { EMPTY_IMAGE, type MetadataImage } from "./image.js";
import type { MetadataRecord, PartitionChangeRecord } from "./records.js";
import type {
  AllocateProducerIdsRequest,
  AllocateProducerIdsResponse,
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
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
import { createPartitions, deleteTopics } from "./topic-changes.js";
import { createTopics } from "./topic-control.js";

export interface QuorumControllerOptions {
  clusterId: string;
  /** broker.session.timeout.ms: a broker that has not heartbeated for this long is fenced. */
  brokerSessionTimeoutMs?: number;
  /** default.replication.factor for CreateTopics with replicationFactor -1. */
  defaultReplicationFactor?: number;
  /** num.partitions for CreateTopics with numPartitions -1. */
  numPartitions?: number;
  /** leader.imbalance.per.broker.percentage for the automatic preferred-leader rebalance. */
  leaderImbalancePerBrokerPercentage?: number;
  /** Uniform in [0, 1): topic ids and replica placement. Seeded in tests. */
  random: () => number;
}

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
export const DEFAULT_BROKER_SESSION_TIMEOUT_MS = 9000;
/** Kafka 4.0's metadata.version feature level at bootstrap (MetadataVersion.LATEST_PRODUCTION). */
export const METADATA_VERSION = "metadata.version";

export class QuorumController {
  private current: MetadataImage = EMPTY_IMAGE;
  private readonly sessions: BrokerHeartbeatManager;
  private readonly defaults: { numPartitions: number; defaultReplicationFactor: number };

  constructor(readonly options: QuorumControllerOptions) {
    this.sessions = new BrokerHeartbeatManager(options.brokerSessionTimeoutMs ?? DEFAULT_BROKER_SESSION_TIMEOUT_MS);
    this.defaults = {
      numPartitions: options.numPartitions ?? 1,
      defaultReplicationFactor: options.defaultReplicationFactor ?? 1,
    };
  }

  /** The current image (immutable). */
  get image(): MetadataImage {
    return this.current;
  }

  /** Apply a committed batch; offset is the log index of the entry that carried it. */
  replay(records: readonly MetadataRecord[], offset: number): void {
    const delta = new MetadataDelta(this.current);
    delta.replayBatch(records, offset);
    this.current = delta.apply();
  }

  /** Start from a snapshot image (e.g. loaded from disk) instead of replaying from the start. */
  loadImage(image: MetadataImage): void {
    assert(image.offset >= this.current.offset, "a loaded image does not go back in time");
    this.current = image;
  }

  /** Called when this node becomes the active controller: every broker gets a fresh session. */
  activate(nowMs: number): void {
    this.sessions.activate(this.current, nowMs);
  }

  /**
   * Records the first active controller writes into an empty log (Kafka's ActivationRecordsGenerator
   * with the bootstrap metadata): one FeatureLevel record per feature. Nothing once bootstrapped.
   */
  bootstrap(clusterId: string, features: ReadonlyMap<string, number>): MetadataRecord[] {
    assert(clusterId === this.options.clusterId, `bootstrap for cluster ${clusterId}, not ${this.options.clusterId}`);
    if (this.current.features.size > 0) return [];
    return [...features].map(([name, featureLevel]) => ({ type: "FeatureLevel", name, featureLevel }));
  }

  registerBroker(req: BrokerRegistrationRequest, nowMs: number): ControllerResult<BrokerRegistrationResponse> {
    return registerBroker(this.current, this.sessions, this.options.clusterId, req, nowMs);
  }

  brokerHeartbeat(req: BrokerHeartbeatRequest, nowMs: number): ControllerResult<BrokerHeartbeatResponse> {
    return brokerHeartbeat(this.current, this.sessions, req, nowMs);
  }

  /**
   * Fences at most one broker whose session expired. One per call, like Kafka's
   * maybeFenceOneStaleBroker: each fencing is committed and visible before the next is chosen.
   */
  tick(nowMs: number): MetadataRecord[] {
    const stale = this.sessions.findOneStaleBroker(this.current, nowMs);
    return stale === undefined ? [] : this.fenceBroker(stale);
  }

  /** Fences a broker now (the runtime's fast path for a dropped connection); [] if already fenced. */
  fenceBroker(brokerId: number): MetadataRecord[] {
    const broker = this.current.brokers.get(brokerId);
    return broker === undefined ? [] : fenceRecords(this.current, broker);
  }

  createTopics(req: CreateTopicsRequest, _nowMs: number): ControllerResult<CreateTopicsResponse> {
    return createTopics(this.current, req, this.defaults, this.options.random);
  }

  deleteTopics(req: DeleteTopicsRequest, _nowMs: number): ControllerResult<DeleteTopicsResponse> {
    return deleteTopics(this.current, req);
  }

  createPartitions(req: CreatePartitionsRequest, _nowMs: number): ControllerResult<CreatePartitionsResponse> {
    return createPartitions(this.current, req, this.options.random);
  }

  incrementalAlterConfigs(
    req: IncrementalAlterConfigsRequest,
    _nowMs: number,
  ): ControllerResult<IncrementalAlterConfigsResponse> {
    return incrementalAlterConfigs(this.current, req);
  }

  /** Hands the broker the next block of producer ids (Kafka's ProducerIdControlManager). */
  allocateProducerIds(req: AllocateProducerIdsRequest, _nowMs: number): ControllerResult<AllocateProducerIdsResponse> {
    const broker = this.current.brokers.get(req.brokerId);
    if (broker === undefined || broker.brokerEpoch !== req.brokerEpoch) {
      return {
        records: [],
        response: { errorCode: ErrorCode.STALE_BROKER_EPOCH, producerIdStart: -1, producerIdLen: 0 },
      };
    }
    const producerIdStart = this.current.nextProducerId;
    return {
      records: [
        {
          type: "ProducerIds",
          brokerId: req.brokerId,
          brokerEpoch: req.brokerEpoch,
          nextProducerId: producerIdStart + PRODUCER_ID_BLOCK_SIZE,
        },
      ],
      response: { errorCode: ErrorCode.NONE, producerIdStart, producerIdLen: PRODUCER_ID_BLOCK_SIZE },
    };
  }

  alterPartition(req: AlterPartitionRequest, _nowMs: number): ControllerResult<AlterPartitionResponse> {
    return alterPartition(this.current, req);
  }

  electLeaders(req: ElectLeadersRequest, _nowMs: number): ControllerResult<ElectLeadersResponse> {
    return electLeaders(this.current, req);
  }

  /** Starts, changes or cancels partition reassignments (KIP-455). */
  alterPartitionReassignments(
    req: AlterPartitionReassignmentsRequest,
    _nowMs: number,
  ): ControllerResult<AlterPartitionReassignmentsResponse> {
    return alterPartitionReassignments(this.current, req);
  }

  /**
   * One automatic preferred-leader rebalance check (auto.leader.rebalance.enable): the elections
   * that bring each over-imbalanced broker its preferred leaderships back. The runtime calls it
   * every leader.imbalance.check.interval.seconds on the active controller.
   */
  balancePartitionLeaders(_nowMs: number): PartitionChangeRecord[] {
    const percentage =
      this.options.leaderImbalancePerBrokerPercentage ?? DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE;
    return balancePartitionLeaders(this.current, percentage);
  }
}
