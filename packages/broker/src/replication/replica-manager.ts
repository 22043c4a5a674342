// The leader half of replication in the broker (Kafka's ReplicaManager + Partition, leader side):
// one PartitionLeaderState (HW, ISR, followers' log end offsets) and one delayed-produce queue per
// partition this broker leads with more than one replica. Follower fetches move the HW; HW moves
// complete acks=all produces and wake consumers' long polls (they read only below the HW); ISR
// changes go to the controller as AlterPartition (leader-isr.ts).
//
// Single-replica partitions (the single-node broker) keep no state here: their log's HW follows
// its log end offset, so an append commits at once and costs nothing extra.
import { resolve } from "node:path";
import { DelayedProduceQueue, PartitionLeaderState } from "@gregor/replication";
import { topicConfigValue, type TopicConfigOverrides } from "../config/topic-config.js";
import { ErrorCode } from "../errors.js";
import type { LeaderPartition, LeadershipListener, PartitionState, TopicState } from "../metadata/topic-manager.js";
import type { BrokerServices } from "../services.js";
import type { PartitionLog } from "../log/partition-log.js";
import { HighWatermarkCheckpoint, type HwEntry } from "./hw-checkpoint.js";
import { IsrChanges } from "./leader-isr.js";

/** Delayed produces waiting per partition (beyond it an acks=all produce times out at once). */
const MAX_DELAYED_PRODUCES = 10_000;
/** Wakes a consumer's long poll whatever its minBytes: the HW moved, it re-reads. */
const WAKE_ALL = 0x7fffffff;

/** A partition this broker leads with followers. */
export interface PartitionLeader {
  readonly topic: string;
  readonly partition: LeaderPartition;
  state: PartitionLeaderState;
  readonly queue: DelayedProduceQueue;
  timer: ReturnType<typeof setTimeout> | undefined;
  timerAt: number;
}

export class ReplicaManager implements LeadershipListener {
  private readonly leaders = new Map<PartitionState, PartitionLeader>();
  private readonly minIsrCache = new WeakMap<TopicConfigOverrides, number>();
  private readonly isr: IsrChanges;
  private closed = false;
  /** Null for in-memory logs (log.dirs=:memory:). */
  private readonly checkpoint: HighWatermarkCheckpoint | null;
  private checkpointTimer: ReturnType<typeof setInterval> | undefined;
  /** Logs whose HW was started from the checkpoint (once per opened log). */
  private readonly started = new WeakSet<PartitionLog>();

  constructor(private readonly services: BrokerServices) {
    this.isr = new IsrChanges(services, this);
    const dir = services.config["log.dirs"].split(",")[0]!.trim();
    this.checkpoint =
      dir === ":memory:"
        ? null
        : HighWatermarkCheckpoint.load(resolve(dir), (err) =>
            services.logger.warn({ err }, "high watermark checkpoint unreadable; starting without it"),
          );
    if (this.checkpoint !== null) {
      const interval = services.config["replica.high.watermark.checkpoint.interval.ms"];
      this.checkpointTimer = setInterval(() => this.writeCheckpoint(), interval);
      this.checkpointTimer.unref();
    }
  }

  /** A log opened since the last image starts its HW at min(checkpoint, log end offset). */
  private startHighWatermark(topic: string, p: PartitionState): void {
    const log = p.log;
    if (log === null || this.started.has(log)) return;
    this.started.add(log);
    const hw = this.checkpoint?.startingHighWatermark(topic, p.index);
    if (hw !== undefined) log.setHighWatermark(hw);
  }

  private checkpointEntries(): HwEntry[] {
    const entries: HwEntry[] = [];
    for (const t of this.services.topics.all())
      for (const p of t.partitions)
        if (p.log !== null) entries.push({ topic: t.name, partition: p.index, offset: p.log.highWatermark });
    return entries;
  }

  /** Writes every local partition's HW (Kafka's checkpointHighWatermarks). */
  writeCheckpoint(): Promise<void> {
    if (this.checkpoint === null || this.closed) return Promise.resolve();
    return this.checkpoint.write(this.checkpointEntries()).catch((err: unknown) => {
      this.services.logger.error({ err }, "writing the high watermark checkpoint failed");
    });
  }

  get nodeId(): number {
    return this.services.nodeId;
  }

  /** Partitions led here with followers (ISR checks, metrics). */
  ledPartitions(): IterableIterator<PartitionLeader> {
    return this.leaders.values();
  }

  onBecomeLeader(topic: string, p: LeaderPartition): void {
    if (this.closed) return;
    this.startHighWatermark(topic, p);
    // Kafka's makeLeader: the new epoch starts at the log end (KIP-101), so followers that wrote
    // past it in an older epoch find their divergence point.
    p.log.assignEpochStartOffset(p.leaderEpoch, p.log.logEndOffset).catch((err: unknown) => {
      this.services.logger.error({ err, topic, partition: p.index }, "leader epoch checkpoint failed");
    });
    this.sync(topic, p);
  }

  onBecomeFollower(topic: string, p: PartitionState): void {
    this.startHighWatermark(topic, p);
    const leader = this.leaders.get(p);
    if (leader !== undefined) this.drop(leader, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Long polls on the partition re-read now and learn the leader moved.
    this.services.appendWaiters.notify(topic, p.index, WAKE_ALL);
    this.services.appendWaiters.notifyReplicas(topic, p.index, WAKE_ALL);
  }

  /**
   * The partition's leader state, brought in line with the partition's image fields (leader epoch,
   * partition epoch, replicas), or undefined for a single-replica partition.
   */
  sync(topic: string, p: LeaderPartition): PartitionLeader | undefined {
    let leader = this.leaders.get(p);
    if (p.replicas.length <= 1) {
      if (leader !== undefined) this.drop(leader, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      p.log.followLogEnd();
      return undefined;
    }
    const nowMs = this.services.clock();
    if (leader === undefined || leader.state.leaderEpoch !== p.leaderEpoch) {
      const state = new PartitionLeaderState({
        localBrokerId: this.nodeId,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        replicas: p.replicas,
        isr: p.isr,
        highWatermark: p.log.highWatermark,
        leaderEpochStartOffset: p.log.logEndOffset,
        nowMs,
      });
      // The HW is this state's from now on (it no longer follows the log end).
      p.log.setHighWatermark(state.highWatermark);
      if (leader === undefined) {
        leader = {
          topic,
          partition: p,
          state,
          queue: new DelayedProduceQueue(MAX_DELAYED_PRODUCES),
          timer: undefined,
          timerAt: Infinity,
        };
        this.leaders.set(p, leader);
      } else leader.state = state;
      this.isr.ensureTimer();
    } else if (p.partitionEpoch > leader.state.partitionEpoch) {
      leader.state.applyImage(p.replicas, p.isr, p.partitionEpoch, nowMs);
    } else return leader;
    this.maybeIncrementHighWatermark(leader);
    return leader;
  }

  /** After a leader append to a replicated partition: wake followers; with ISR = {leader}, commit. */
  afterLeaderAppend(topic: string, p: LeaderPartition, bytes: number): void {
    this.services.appendWaiters.notifyReplicas(topic, p.index, bytes);
    const leader = this.sync(topic, p);
    if (leader !== undefined) this.maybeIncrementHighWatermark(leader);
  }

  /**
   * A follower's fetch at `fetchOffset` (its log end offset): Kafka's updateFollowerFetchState, then
   * the HW and ISR consequences. Returns an error code: NOT_LEADER_OR_FOLLOWER when `replicaId` is
   * not a replica of the partition.
   */
  onFollowerFetch(topic: string, p: LeaderPartition, replicaId: number, fetchOffset: number): number {
    const leader = this.sync(topic, p);
    if (leader === undefined || !p.replicas.includes(replicaId)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const nowMs = this.services.clock();
    if (!leader.state.updateFollowerFetchState(replicaId, fetchOffset, p.log.logEndOffset, nowMs))
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    this.isr.maybeExpand(leader, replicaId);
    this.maybeIncrementHighWatermark(leader);
    return ErrorCode.NONE;
  }

  /** Moves the HW if the ISR allows it; then completes produces and wakes consumers. */
  maybeIncrementHighWatermark(leader: PartitionLeader): void {
    const p = leader.partition;
    if (!leader.state.maybeIncrementHighWatermark(p.log.logEndOffset)) return;
    const hw = leader.state.highWatermark;
    p.log.setHighWatermark(hw);
    if (leader.queue.size > 0)
      leader.queue.onHighWatermark(hw, leader.state.isr.length, this.minInsyncReplicas(leader.topic));
    this.services.appendWaiters.notify(leader.topic, p.index, WAKE_ALL);
  }

  /**
   * acks=all: NONE at once when the HW already passed `requiredOffset` (always on a single-replica
   * partition), else a promise of the delayed produce's error code.
   */
  waitForCommit(p: LeaderPartition, requiredOffset: number, timeoutMs: number): number | Promise<number> {
    const leader = this.leaders.get(p);
    if (leader === undefined)
      return p.log.highWatermark >= requiredOffset ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (leader.state.highWatermark >= requiredOffset) return this.committedCode(leader);
    if (timeoutMs <= 0) return ErrorCode.REQUEST_TIMED_OUT;
    const deadlineMs = this.services.clock() + timeoutMs;
    return new Promise<number>((resolve) => {
      if (!leader.queue.add({ requiredOffset, deadlineMs, complete: resolve })) resolve(ErrorCode.REQUEST_TIMED_OUT);
      else this.armExpiry(leader, deadlineMs);
    });
  }

  private committedCode(leader: PartitionLeader): number {
    return leader.state.isr.length >= this.minInsyncReplicas(leader.topic)
      ? ErrorCode.NONE
      : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  }

  /** The ISR acks=all checks before appending: the leader state's when replicated, else the image's. */
  isrSize(p: PartitionState): number {
    const state = this.leaders.get(p)?.state;
    // An image newer than the state (not synced yet: no fetch or append since) is the fresher word.
    return state === undefined || p.partitionEpoch > state.partitionEpoch ? p.isr.length : state.isr.length;
  }

  /** min.insync.replicas of a topic (the override or the broker default), cached per config map. */
  minInsyncReplicas(topic: string | TopicState): number {
    const t = typeof topic === "string" ? this.services.topics.get(topic) : topic;
    if (t === undefined) return 1;
    let v = this.minIsrCache.get(t.configs);
    if (v === undefined) {
      v = Number(topicConfigValue(this.services.config, t.configs, "min.insync.replicas"));
      this.minIsrCache.set(t.configs, v);
    }
    return v;
  }

  private armExpiry(leader: PartitionLeader, deadlineMs: number): void {
    if (deadlineMs >= leader.timerAt) return;
    if (leader.timer !== undefined) clearTimeout(leader.timer);
    leader.timerAt = deadlineMs;
    leader.timer = setTimeout(() => this.onExpiry(leader), Math.max(0, deadlineMs - this.services.clock()));
    leader.timer.unref();
  }

  private onExpiry(leader: PartitionLeader): void {
    leader.timer = undefined;
    leader.timerAt = Infinity;
    leader.queue.expire(this.services.clock());
    const next = leader.queue.nextDeadlineMs;
    if (next !== Infinity) this.armExpiry(leader, next);
  }

  private drop(leader: PartitionLeader, errorCode: number): void {
    this.leaders.delete(leader.partition);
    if (leader.timer !== undefined) clearTimeout(leader.timer);
    leader.timer = undefined;
    leader.queue.failAll(errorCode);
  }

  /** Under-replicated (ISR < replicas) and under-min-ISR partitions this broker leads. */
  counts(): { underReplicated: number; underMinIsr: number; atMinIsr: number } {
    let underReplicated = 0;
    let underMinIsr = 0;
    let atMinIsr = 0;
    for (const t of this.services.topics.all()) {
      for (const p of t.partitions) {
        if (p.leader !== this.nodeId || p.log === null) continue;
        const isr = this.isrSize(p);
        if (isr < p.replicas.length) underReplicated++;
        const min = this.minInsyncReplicas(t);
        if (isr < min) underMinIsr++;
        else if (isr === min) atMinIsr++;
      }
    }
    return { underReplicated, underMinIsr, atMinIsr };
  }

  /** Shutdown: writes the HW checkpoint, stops the timers, fails waiting produces. */
  close(): void {
    if (this.closed) return;
    if (this.checkpointTimer !== undefined) clearInterval(this.checkpointTimer);
    try {
      this.checkpoint?.writeNow(this.checkpointEntries());
    } catch (err) {
      this.services.logger.error({ err }, "writing the high watermark checkpoint at shutdown failed");
    }
    this.closed = true;
    this.isr.close();
    for (const leader of [...this.leaders.values()]) this.drop(leader, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }
}
