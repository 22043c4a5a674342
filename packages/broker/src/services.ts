// BrokerServices: everything a handler may use, passed as `ctx.services`. One object per broker.
import { isReportedStorageError } from "@gregor/storage";
import type { Logger } from "pino";
import type { BrokerConfig } from "./config/broker-config.js";
import type { TopicConfigOverrides } from "./config/topic-config.js";
import { ErrorCode } from "./errors.js";
import type { Handler } from "./handlers/types.js";
import { AppendWaiters } from "./log/append-waiters.js";
import type { PartitionLog } from "./log/partition-log.js";
import type { ClusterNode } from "./cluster/cluster-node-types.js";
import { liveBrokerCount, type TopicAdmin } from "./metadata/topic-admin.js";
import type { LeaderPartition, TopicManager, TopicState } from "./metadata/topic-manager.js";
import { BrokerMetrics } from "./metrics/broker-metrics.js";
import { ReplicaManager } from "./replication/replica-manager.js";
import type { ProducerIdBlocks } from "./metadata/producer-id-blocks.js";
import { PartitionProducerState } from "./producer-state/producer-state.js";

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/**
 * A long-lived component started with the broker (e.g. the group coordinator). Modules are listed in
 * `modules.ts`; handlers reach a started module with `services.module<T>(name)`.
 */
export interface BrokerModule<T = unknown> {
  name: string;
  start(services: BrokerServices): T | Promise<T>;
  /** Called at shutdown, in reverse start order, after the listener stopped accepting. */
  close?(instance: T): void | Promise<void>;
}

export class BrokerServices {
  readonly metrics = new BrokerMetrics();
  readonly appendWaiters: AppendWaiters;
  /** The leader side of replication: HW, ISR, delayed produces of the partitions led here. */
  readonly replicas: ReplicaManager;
  /** Producer id blocks from the active controller (KIP-730); set with `cluster`. */
  producerIds!: ProducerIdBlocks;
  private readonly producerStates = new Map<string, PartitionProducerState>();
  private readonly modules = new Map<string, unknown>();
  /** Set by the server once it listens (the advertised endpoint). */
  endpoint: BrokerEndpoint;
  /** This broker's cluster node (metadata quorum member); set by start-up before any module starts. */
  cluster!: ClusterNode;
  /** Topic writes through the active controller; set with `cluster`. */
  admin!: TopicAdmin;
  /** The listener clients reach this broker on (its name picks other brokers' endpoints). */
  listenerName = "PLAINTEXT";
  /** The handler table (ApiVersions is built from it). */
  handlers: readonly Handler[] = [];
  closing = false;

  constructor(
    readonly config: BrokerConfig,
    /** Set again by start-up once the cluster node has read (or written) meta.properties. */
    public clusterId: string,
    readonly topics: TopicManager,
    readonly logger: Logger,
    /** Wall clock (ms); injectable for tests. */
    readonly clock: () => number = Date.now,
  ) {
    this.appendWaiters = new AppendWaiters(100_000);
    this.replicas = new ReplicaManager(this);
    topics.addLeadershipListener(this.replicas);
    this.metrics.partitionCounts = () => this.replicas.counts();
    this.endpoint = { nodeId: config["node.id"], host: "localhost", port: 9092, rack: config["broker.rack"] };
  }

  get nodeId(): number {
    return this.config["node.id"];
  }

  /** A started module by name (see BrokerModule); throws if none. */
  module<T>(name: string): T {
    if (!this.modules.has(name)) throw new Error(`broker module ${name} is not started`);
    return this.modules.get(name) as T;
  }
  hasModule(name: string): boolean {
    return this.modules.has(name);
  }
  /** Used by the broker's start-up to register started modules. */
  setModule(name: string, instance: unknown): void {
    this.modules.set(name, instance);
  }

  /**
   * Gets or creates an internal topic (e.g. `__consumer_offsets`, 50 partitions, compacted) and
   * returns it. Creation bypasses auto.create.topics.enable. The replication factor is
   * `replicationFactor` capped by the live brokers, so a first start with fewer brokers than
   * offsets.topic.replication.factor still gets its topic (Kafka before KAFKA-3959 did this; newer
   * Kafka refuses until enough brokers are up, which would break the single-node default).
   */
  async internalTopic(
    name: string,
    numPartitions: number,
    configs: TopicConfigOverrides,
    replicationFactor = 1,
  ): Promise<TopicState> {
    const rf = Math.max(1, Math.min(replicationFactor, liveBrokerCount(this.cluster.image())));
    const t = await this.admin.getOrCreate({ name, numPartitions, replicationFactor: rf, configs });
    if ("errorCode" in t) throw new Error(`cannot create internal topic ${name}: ${t.errorMessage ?? t.errorCode}`);
    return t;
  }

  /** The local log of partition `index` of an existing topic (leader or follower), or undefined. */
  partitionLog(topic: string, index: number): PartitionLog | undefined {
    return this.topics.partition(topic, index)?.log ?? undefined;
  }

  /** The partition log's producer state (persisted, follows the log); an in-memory one for in-memory logs. */
  producerState(topic: string, partition: number): PartitionProducerState {
    const persisted = this.topics.partition(topic, partition)?.log?.producerState;
    if (persisted !== undefined) return persisted;
    const key = `${topic}\u0000${partition}`;
    let s = this.producerStates.get(key);
    if (s === undefined) {
      s = new PartitionProducerState();
      this.producerStates.set(key, s);
    }
    return s;
  }

  /**
   * Appends a record set to a partition and wakes waiting fetches. Used by Produce and coordinators.
   * With `commitTimeoutMs` (acks=all, as Kafka's coordinators write) a replicated partition's append
   * answers once the high watermark passes it, or with the delayed produce's error
   * (NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER).
   */
  async append(
    topic: string,
    partition: number,
    records: Buffer,
    commitTimeoutMs?: number,
  ): Promise<{
    errorCode: number;
    baseOffset: number;
    lastOffset: number;
    logAppendTimeMs: number;
    logStartOffset: number;
    errorMessage: string | null;
  }> {
    const lookup = this.topics.leaderPartition(topic, partition);
    if (typeof lookup === "number")
      return {
        errorCode: lookup,
        baseOffset: -1,
        lastOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: -1,
        errorMessage: null,
      };
    const p = lookup;
    try {
      const r = await p.log.append(records, p.leaderEpoch);
      this.afterLeaderAppend(topic, p, records.length);
      const committed =
        commitTimeoutMs === undefined || p.replicas.length <= 1
          ? ErrorCode.NONE
          : await this.replicas.waitForCommit(p, r.lastOffset + 1, commitTimeoutMs);
      return {
        errorCode: committed,
        baseOffset: r.baseOffset,
        lastOffset: r.lastOffset,
        logAppendTimeMs: r.logAppendTimeMs,
        logStartOffset: p.log.logStartOffset,
        errorMessage: null,
      };
    } catch (e) {
      return {
        errorCode: this.appendErrorCode(e, topic, partition),
        baseOffset: -1,
        lastOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: -1,
        errorMessage: (e as Error).message,
      };
    }
  }

  /**
   * After a leader append of `bytes`: a single-replica partition's records are committed (its HW
   * follows the log end) and consumers wake; a replicated one wakes its followers and moves its HW
   * only as the ISR allows.
   */
  afterLeaderAppend(topic: string, p: LeaderPartition, bytes: number): void {
    if (p.replicas.length <= 1) this.appendWaiters.notify(topic, p.index, bytes);
    else this.replicas.afterLeaderAppend(topic, p, bytes);
  }

  /** Kafka's error code for an append failure (a LogError/StorageError code); logs storage errors. */
  appendErrorCode(e: unknown, topic: string, partition: number): number {
    const code = (e as { code?: string }).code;
    const errorCode =
      code !== undefined && code in ErrorCode
        ? ErrorCode[code as keyof typeof ErrorCode]
        : ErrorCode.KAFKA_STORAGE_ERROR;
    // A full or failed disk refuses every append while it lasts; storage logged its cause once.
    if (errorCode === ErrorCode.KAFKA_STORAGE_ERROR && !isReportedStorageError(e))
      this.logger.error({ err: e, topic, partition }, "append failed");
    return errorCode;
  }
}
