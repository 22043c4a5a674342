// GroupCoordinator: routes group requests to the PartitionRuntime owning
// `abs(hashCode(groupId)) % partitions(__consumer_offsets)`, creates the compacted internal topic
// on first use (as Kafka does on the first FindCoordinator) and loads existing partitions at start.
import type { BrokerServices } from "../../services.js";
import { ErrorCode } from "../errors.js";
import { partitionForGroup } from "../hash.js";
import { splitOffsetKey } from "../group.js";
import type { ApiMap, ApiName, GroupConfig, TopicView } from "../shard.js";
import { PartitionRuntime, type Delivered } from "./partition-runtime.js";

export const CONSUMER_OFFSETS = "__consumer_offsets";
export const GROUP_COORDINATOR_MODULE = "group-coordinator";

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

  /** Loads the partitions of an existing __consumer_offsets (a restart); new brokers create it lazily. */
  async start(): Promise<void> {
    if (this.services.topics.get(CONSUMER_OFFSETS) !== undefined) await this.loadAll();
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
    if (this.services.topics.get(CONSUMER_OFFSETS) !== undefined && this.runtimes.size > 0) return true;
    this.creating ??= (async () => {
      try {
        const c = this.services.config;
        await this.services.internalTopic(CONSUMER_OFFSETS, c["offsets.topic.num.partitions"], {
          "cleanup.policy": "compact",
          "segment.bytes": String(c["offsets.topic.segment.bytes"]),
          "compression.type": "producer",
        });
        await this.loadAll();
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

  private async loadAll(): Promise<void> {
    const topic = this.services.topics.get(CONSUMER_OFFSETS);
    if (topic === undefined) return;
    const loads: Promise<void>[] = [];
    for (const p of topic.partitions) {
      if (this.runtimes.has(p.index)) continue;
      const rt = new PartitionRuntime(
        p.index,
        p.log,
        (records) => this.services.append(CONSUMER_OFFSETS, p.index, records),
        this.config,
        this.topicView,
        this.services.logger,
        this.services.clock,
        true,
      );
      this.runtimes.set(p.index, rt);
      loads.push(rt.load());
    }
    await Promise.all(loads);
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
