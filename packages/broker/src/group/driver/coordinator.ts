// GroupCoordinator: routes group requests to the PartitionRuntime owning
// `abs(hashCode(groupId)) % partitions(__consumer_offsets)`, creates the compacted internal topic
// on first use (as Kafka does on the first FindCoordinator). A broker coordinates only the groups
// of the __consumer_offsets partitions it leads: it loads a partition's group state when it
// becomes its leader and drops it when it stops leading (Kafka's onElection/onResignation);
// any other group gets NOT_COORDINATOR. The partition's log is replicated like any other
// (offsets.topic.replication.factor), so a new leader loads the groups its followers copied;
// a write is acknowledged only once the ISR has it (Kafka's coordinator appends with acks=-1),
// and only by the runtime of the current leader epoch: a deposed coordinator cannot write.
import type { LeaderPartition, PartitionState } from "../../metadata/topic-manager.js";
import type { BrokerServices } from "../../services.js";
import { ErrorCode } from "../errors.js";
import { partitionForGroup } from "../hash.js";
import { splitOffsetKey } from "../group.js";
import type { ApiMap, ApiName, GroupConfig, TopicView } from "../shard.js";
import { type AppendFn, PartitionRuntime, type Delivered } from "./partition-runtime.js";

export const CONSUMER_OFFSETS = "__consumer_offsets";
export const GROUP_COORDINATOR_MODULE = "group-coordinator";
/** Kafka's offsets.commit.timeout.ms default: how long a write waits for the ISR. */
const OFFSETS_COMMIT_TIMEOUT_MS = 5000;

export interface CallerInfo {
  version: number;
  clientId: string;
  clientHost: string;
}

export type RouteResult = { runtime: PartitionRuntime } | { errorCode: number };

export interface GroupLag {
  groupId: string;
  topic: string;
  partition: number;
  committedOffset: number;
  /** highWatermark - committedOffset, floored at 0; -1 when the partition is unknown. */
  lag: number;
}

export class GroupCoordinator {
  private readonly runtimes = new Map<number, PartitionRuntime>();
  private creating: Promise<boolean> | null = null;
  private readonly loads = new Map<number, Promise<void>>();
  private unsubscribe: (() => void) | null = null;
  private nextRequestId = 1;
  private closed = false;
  readonly config: Partial<GroupConfig>;
  private readonly topicView: TopicView;

  constructor(private readonly services: BrokerServices) {
    const c = services.config;
    this.config = {
      initialRebalanceDelayMs: c["group.initial.rebalance.delay.ms"],
      minSessionTimeoutMs: c["group.min.session.timeout.ms"],
      maxSessionTimeoutMs: c["group.max.session.timeout.ms"],
      maxGroupSize: c["group.max.size"],
      offsetsRetentionMs: c["offsets.retention.minutes"] * 60_000,
      offsetsRetentionCheckIntervalMs: Number(c["offsets.retention.check.interval.ms"]),
    };
    this.topicView = { partitionCount: (t) => services.topics.get(t)?.partitions.length };
  }

  /** Follows this broker's leaderships of __consumer_offsets partitions (loads those it leads now). */
  async start(): Promise<void> {
    this.unsubscribe = this.services.topics.addLeadershipListener({
      onBecomeLeader: (topic, p) => {
        if (topic === CONSUMER_OFFSETS) this.onElection(p);
      },
      onBecomeFollower: (topic, p) => {
        if (topic === CONSUMER_OFFSETS) this.onResignation(p);
      },
    });
    await Promise.all(this.loads.values());
  }

  get numPartitions(): number {
    return (
      this.services.topics.get(CONSUMER_OFFSETS)?.partitions.length ??
      this.services.config["offsets.topic.num.partitions"]
    );
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.numPartitions);
  }

  /** Creates __consumer_offsets if needed and loads it. False when it cannot be created. */
  async ensureReady(): Promise<boolean> {
    if (this.services.topics.get(CONSUMER_OFFSETS) !== undefined) return true;
    this.creating ??= (async () => {
      try {
        const c = this.services.config;
        await this.services.internalTopic(
          CONSUMER_OFFSETS,
          c["offsets.topic.num.partitions"],
          {
            "cleanup.policy": "compact",
            "segment.bytes": String(c["offsets.topic.segment.bytes"]),
            "compression.type": "producer",
          },
          c["offsets.topic.replication.factor"],
        );
        await Promise.all(this.loads.values());
        return true;
      } catch (err) {
        this.services.logger.error({ err }, "cannot create __consumer_offsets");
        return false;
      } finally {
        this.creating = null;
      }
    })();
    return this.creating;
  }

  /** This broker now leads partition `p`: load its groups (replaces a runtime of an older epoch). */
  private onElection(p: LeaderPartition): void {
    if (this.closed) return;
    const previous = this.runtimes.get(p.index);
    const rt = new PartitionRuntime(
      p.index,
      p.log,
      this.appendFor(p.index, p.leaderEpoch),
      this.config,
      this.topicView,
      this.services.logger,
      this.services.clock,
      true,
    );
    this.runtimes.set(p.index, rt);
    const load = (async () => {
      if (previous !== undefined) await previous.close();
      await rt.load();
    })()
      .catch((err: unknown) => this.services.logger.error({ err, partition: p.index }, "loading groups failed"))
      .finally(() => {
        if (this.loads.get(p.index) === load) this.loads.delete(p.index);
      });
    this.loads.set(p.index, load);
  }

  /**
   * Writes of the runtime loaded for `leaderEpoch`: refused (NOT_COORDINATOR) once this broker no
   * longer leads the partition in that epoch; acknowledged once replicated to the ISR.
   */
  private appendFor(partition: number, leaderEpoch: number): AppendFn {
    const services = this.services;
    return async (records) => {
      const before = services.topics.leaderPartition(CONSUMER_OFFSETS, partition);
      if (typeof before === "number" || before.leaderEpoch !== leaderEpoch)
        return { errorCode: ErrorCode.NOT_COORDINATOR };
      const r = await services.append(CONSUMER_OFFSETS, partition, records);
      if (r.errorCode !== ErrorCode.NONE || before.replicas.length <= 1) return r;
      return { errorCode: await services.replicas.waitForCommit(before, r.lastOffset + 1, OFFSETS_COMMIT_TIMEOUT_MS) };
    };
  }

  /** This broker no longer leads partition `p`: its groups are served by the new leader. */
  private onResignation(p: PartitionState): void {
    const rt = this.runtimes.get(p.index);
    if (rt === undefined) return;
    this.runtimes.delete(p.index);
    rt.close().catch((err: unknown) => this.services.logger.error({ err, partition: p.index }, "unloading failed"));
  }

  /** The runtime for a group, or the coordinator error a client should retry on. */
  async route(groupId: string): Promise<RouteResult> {
    if (this.closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (!(await this.ensureReady())) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const rt = this.runtimes.get(this.partitionFor(groupId));
    if (rt === undefined) return { errorCode: ErrorCode.NOT_COORDINATOR };
    if (rt.state === "loading") return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    if (rt.state === "closed") return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    return { runtime: rt };
  }

  /** Runs a request against the group's shard, or returns the routing error code. */
  async call<K extends ApiName>(
    groupId: string,
    api: K,
    caller: CallerInfo,
    body: ApiMap[K][0],
  ): Promise<Delivered<K> | { errorCode: number }> {
    const r = await this.route(groupId);
    if ("errorCode" in r) return r;
    return r.runtime.call(api, this.nextRequestId++, caller, body);
  }

  /** Every active shard (ListGroups fans out to all of them). */
  activeRuntimes(): PartitionRuntime[] {
    return [...this.runtimes.values()].filter((r) => r.state === "active");
  }

  loading(): boolean {
    return [...this.runtimes.values()].some((r) => r.state === "loading");
  }

  nextId(): number {
    return this.nextRequestId++;
  }

  /** Consumer lag per committed partition (for /metrics). Bounded by the number of committed offsets. */
  lag(): GroupLag[] {
    const out: GroupLag[] = [];
    for (const rt of this.activeRuntimes()) {
      for (const g of rt.shard.groups.values()) {
        for (const [k, o] of g.offsets) {
          const [topic, partition] = splitOffsetKey(k);
          const log = this.services.partitionLog(topic, partition);
          const committedOffset = Number(o.offset);
          out.push({
            groupId: g.groupId,
            topic,
            partition,
            committedOffset,
            lag: log === undefined ? -1 : Math.max(0, log.highWatermark - committedOffset),
          });
        }
      }
    }
    return out;
  }

  /** Group counts by state (for /metrics). */
  groupStates(): Map<string, number> {
    const m = new Map<string, number>();
    for (const rt of this.activeRuntimes())
      for (const g of rt.shard.groups.values()) m.set(g.state, (m.get(g.state) ?? 0) + 1);
    return m;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    await Promise.all(this.loads.values());
    await Promise.all([...this.runtimes.values()].map((r) => r.close()));
  }
}

/** The broker module that starts the coordinator (see modules.ts). */
export const groupCoordinatorModule = {
  name: GROUP_COORDINATOR_MODULE,
  async start(services: BrokerServices): Promise<GroupCoordinator> {
    const c = new GroupCoordinator(services);
    await c.start();
    return c;
  },
  close(instance: GroupCoordinator): Promise<void> {
    return instance.close();
  },
};

/** The coordinator of a running broker. */
export function groupCoordinatorOf(services: BrokerServices): GroupCoordinator {
  return services.module<GroupCoordinator>(GROUP_COORDINATOR_MODULE);
}
