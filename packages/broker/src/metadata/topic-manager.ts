// The broker's topic table, a view of the MetadataImage (Kafka's BrokerMetadataPublisher +
// ReplicaManager.applyDelta, KIP-500): every image change is diffed against the last one applied;
// partitions with a replica on this broker get their log opened, removed topics/replicas have
// their logs deleted, topic config changes reach the logs, and each partition's leader, epochs,
// replicas and ISR follow the image. This broker leads a partition iff the image says so.
// Leadership changes are announced to listeners (onBecomeLeader/onBecomeFollower): the group
// coordinator loads its partitions there, and replica fetchers (replication) will start there.
import type { BrokerConfig } from "../config/broker-config.js";
import { toLogConfig, type TopicConfigOverrides, type TopicLogConfig } from "../config/topic-config.js";
import {
  type ConfigMap,
  ConfigResourceType,
  configsOf,
  EMPTY_IMAGE,
  type MetadataImage,
  type PartitionRegistration,
  type TopicImage,
} from "../controller/index.js";
import { ErrorCode } from "../errors.js";
import type { LogFactory, PartitionLog } from "../log/partition-log.js";
import { isInternalTopic } from "./topic-name.js";

export interface PartitionState {
  index: number;
  /** The leader's broker id; -1 when the partition has none (offline). */
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** This broker's replica of the partition; null when it holds none. */
  log: PartitionLog | null;
}

/** A partition this broker leads (its log is local). */
export type LeaderPartition = PartitionState & { log: PartitionLog };

export interface TopicState {
  name: string;
  topicId: string;
  isInternal: boolean;
  configs: TopicConfigOverrides;
  /** Effective log config (overrides over broker defaults), refreshed on config changes. */
  logConfig: TopicLogConfig;
  partitions: PartitionState[];
}

/** Told when this broker becomes leader or follower (or loses its replica) of a partition. */
export interface LeadershipListener {
  onBecomeLeader(topic: string, partition: LeaderPartition): void;
  /** Follower of the partition, or its replica (or topic) was removed from this broker. */
  onBecomeFollower(topic: string, partition: PartitionState): void;
}

/** A partition this broker leads, or the Kafka error code saying why not (no object per lookup: hot path). */
export type LeaderLookup = LeaderPartition | number;

interface Waiter {
  check: () => boolean;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

export class TopicManager {
  private readonly topics = new Map<string, TopicState>();
  private readonly byId = new Map<string, TopicState>();
  /** Bumped on every change; cached metadata responses key on it. */
  version = 0;
  /** The image this table reflects (every log opened/closed for it). */
  image: MetadataImage = EMPTY_IMAGE;
  private chain: Promise<void> = Promise.resolve();
  private pending: MetadataImage | null = null;
  private readonly listeners = new Set<LeadershipListener>();
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly logs: LogFactory,
    private readonly brokerId: number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  get(name: string): TopicState | undefined {
    return this.topics.get(name);
  }
  getById(topicId: string): TopicState | undefined {
    return this.byId.get(topicId);
  }
  partition(name: string, index: number): PartitionState | undefined {
    return this.topics.get(name)?.partitions[index];
  }
  all(): IterableIterator<TopicState> {
    return this.topics.values();
  }
  get size(): number {
    return this.topics.size;
  }

  /**
   * The partition if this broker leads it, else Kafka's error: UNKNOWN_TOPIC_OR_PARTITION when the
   * image has no such partition; for a client's `currentLeaderEpoch` (>= 0) older than the
   * partition's FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH (KIP-320); NOT_LEADER_OR_FOLLOWER
   * when another broker (or none) leads it.
   */
  leaderPartition(name: string, index: number, currentLeaderEpoch = -1): LeaderLookup {
    const p = this.partition(name, index);
    if (p === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== p.leaderEpoch) {
      return currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
    }
    if (p.leader !== this.brokerId || p.log === null) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return p as LeaderPartition;
  }

  /** Subscribes; the listener first hears of every partition this broker leads now. */
  addLeadershipListener(listener: LeadershipListener): () => void {
    this.listeners.add(listener);
    for (const t of this.topics.values())
      for (const p of t.partitions)
        if (isLocalLeader(p, this.brokerId)) listener.onBecomeLeader(t.name, p as LeaderPartition);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies an image (serially; while one is applied only the newest waiting image is kept, so a
   * burst of changes costs one diff). Resolves once this table reflects it.
   */
  update(image: MetadataImage): Promise<void> {
    this.pending = image;
    this.chain = this.chain.then(async () => {
      const next = this.pending;
      this.pending = null;
      if (next === null || this.closed) return;
      try {
        await this.apply(next);
      } catch (err) {
        this.onError(err);
      }
    });
    return this.chain;
  }

  /** Resolves true once `check()` holds after an applied image, false after timeoutMs. */
  waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        check,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(check());
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private async apply(image: MetadataImage): Promise<void> {
    const previous = this.image;
    const events: (() => void)[] = [];
    for (const [name, state] of this.topics) {
      const now = image.topics.byName.get(name);
      if (now === undefined || now.topicId !== state.topicId) await this.removeTopic(state, events);
    }
    for (const topic of image.topics.byName.values()) {
      const configs = configsOf(image, ConfigResourceType.TOPIC, topic.name);
      const before = previous.topics.byName.get(topic.name);
      const sameConfigs = configsOf(previous, ConfigResourceType.TOPIC, topic.name) === configs;
      if (before === topic && sameConfigs && this.topics.has(topic.name)) continue;
      await this.applyTopic(topic, configs, events);
    }
    this.image = image;
    this.version++;
    for (const event of events) event();
    for (const w of [...this.waiters]) {
      if (!w.check()) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(true);
    }
  }

  private async applyTopic(topic: TopicImage, configs: ConfigMap, events: (() => void)[]): Promise<void> {
    const existing = this.topics.get(topic.name);
    const overrides = Object.fromEntries(configs);
    const state = existing ?? {
      name: topic.name,
      topicId: topic.topicId,
      isInternal: isInternalTopic(topic.name),
      configs: overrides,
      logConfig: toLogConfig(this.config, overrides),
      partitions: [],
    };
    if (existing !== undefined && !sameOverrides(state.configs, overrides)) {
      state.configs = overrides;
      state.logConfig = toLogConfig(this.config, overrides);
      for (const p of state.partitions) p.log?.updateConfig(state.logConfig);
    }
    for (const registration of topic.partitions) await this.applyPartition(state, registration, events);
    // A new topic becomes visible only once every partition (and its log) is in place.
    if (existing === undefined) {
      this.topics.set(topic.name, state);
      this.byId.set(topic.topicId, state);
    }
  }

  private async applyPartition(t: TopicState, r: PartitionRegistration, events: (() => void)[]): Promise<void> {
    const self = this.brokerId;
    const known = t.partitions[r.partitionId];
    const wasLeader = known !== undefined && isLocalLeader(known, self);
    // A reassignment (KIP-455) adds or removes this broker's replica without a new leader epoch.
    const wasHosted = known !== undefined && known.log !== null;
    const p: PartitionState = known ?? {
      index: r.partitionId,
      leader: -1,
      leaderEpoch: -1,
      partitionEpoch: -1,
      replicas: [],
      isr: [],
      log: null,
    };
    const hosted = r.replicas.includes(self);
    if (hosted && p.log === null) p.log = await this.logs.open(t.name, r.partitionId, t.logConfig);
    // A new partition becomes visible once its fields below are set (no await after this).
    t.partitions[r.partitionId] = p;
    const epochChanged = p.leaderEpoch !== r.leaderEpoch;
    p.leader = r.leader;
    p.leaderEpoch = r.leaderEpoch;
    p.partitionEpoch = r.partitionEpoch;
    p.replicas = r.replicas;
    p.isr = r.isr;
    if (!hosted && p.log !== null) {
      const log = p.log;
      p.log = null;
      // A follower replica moved away stops fetching before its log is deleted.
      if (!wasLeader) this.emitFollower(t.name, p);
      await log.delete();
    }
    const isLeader = isLocalLeader(p, self);
    const state = p;
    if (isLeader && (!wasLeader || epochChanged)) events.push(() => this.emitLeader(t.name, state));
    else if (!isLeader && (wasLeader || (hosted && (epochChanged || !wasHosted))))
      events.push(() => this.emitFollower(t.name, state));
  }

  private async removeTopic(t: TopicState, events: (() => void)[]): Promise<void> {
    this.topics.delete(t.name);
    this.byId.delete(t.topicId);
    for (const p of t.partitions) {
      const wasLeader = isLocalLeader(p, this.brokerId);
      p.leader = -1;
      if (p.log !== null) {
        const log = p.log;
        p.log = null;
        // A follower replica of a deleted topic stops fetching before its log is deleted.
        if (!wasLeader) this.emitFollower(t.name, p);
        await log.delete();
        if (wasLeader) events.push(() => this.emitFollower(t.name, p));
      }
    }
  }

  private emitLeader(topic: string, p: PartitionState): void {
    for (const l of this.listeners) l.onBecomeLeader(topic, p as LeaderPartition);
  }

  private emitFollower(topic: string, p: PartitionState): void {
    for (const l of this.listeners) l.onBecomeFollower(topic, p);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(w.check());
    }
    this.waiters.clear();
    for (const t of this.topics.values()) for (const p of t.partitions) await p.log?.close();
  }
}

function isLocalLeader(p: PartitionState, brokerId: number): boolean {
  return p.leader === brokerId && p.log !== null;
}

function sameOverrides(a: TopicConfigOverrides, b: TopicConfigOverrides): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
