// A simulated 3-replica partition for the fetcher: each broker has a SimLog, its own (possibly
// stale) view of who leads at which epoch, and ReplicaFetchers whose transport calls the leader's
// serving code in memory. The leader side is the test's model of Kafka's (Partition.fetchRecords:
// epoch fencing, the lastFetchedEpoch check, out-of-range, HW = min follower end). Seeded; no I/O.
import type { Prng } from "@gregor/testkit";
import {
  EARLIEST_TIMESTAMP,
  type EpochRequest,
  type EpochResult,
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type LeaderTransport,
  ReplicaFetcher,
  type ReplicaFetchRequest,
  type TopicPartition,
} from "../../src/follower/index.js";
import { SimLog } from "./sim-log.js";

const NONE = 0;
const OFFSET_OUT_OF_RANGE = 1;
const NOT_LEADER_OR_FOLLOWER = 6;
const FENCED_LEADER_EPOCH = 74;
const UNKNOWN_LEADER_EPOCH = 75;

/** The sim's replica.lag.time.max.ms. */
const ISR_LAG_MS = 1000;

export const TP: TopicPartition = { topic: "t", partition: 0 };

export interface LeaderView {
  leader: number;
  epoch: number;
}

export class SimBroker {
  readonly log = new SimLog();
  view: LeaderView = { leader: -1, epoch: -1 };
  cut = false;
  corruptNext = false;
  /** The followers' log ends (and when they fetched) this broker saw while leading. */
  followerEnds = new Map<number, { end: number; atMs: number }>();
  leaderSinceMs = 0;
  readonly fetchers = new Map<number, ReplicaFetcher>();
  constructor(
    readonly id: number,
    /** Serves Fetch v12+ (divergingEpoch); else followers use OffsetForLeaderEpoch. */
    readonly v12: boolean,
  ) {}
}

export class SimCluster {
  readonly brokers: SimBroker[];
  controller: LeaderView = { leader: 1, epoch: 0 };
  nowMs = 0;
  /** Committed batches (below some leader's HW) by base offset: they must never change or vanish. */
  readonly committed = new Map<number, Buffer>();
  committedEnd = 0;
  readonly violations: string[] = [];
  /** How often each path ran (the test checks every one did, or it proves nothing). */
  readonly stats: Record<string, number> = {};

  count(what: string): void {
    this.stats[what] = (this.stats[what] ?? 0) + 1;
  }

  constructor(
    rng: Prng,
    readonly ids: number[] = [1, 2, 3],
  ) {
    this.brokers = ids.map((id) => new SimBroker(id, rng.chance(0.7)));
  }

  broker(id: number): SimBroker {
    return this.brokers.find((b) => b.id === id)!;
  }

  /** A broker learns the controller's current leader and epoch (Kafka's metadata image arriving). */
  deliverImage(b: SimBroker): void {
    b.view = { ...this.controller };
    if (b.view.leader === b.id) {
      for (const f of b.fetchers.values()) f.removePartition(TP);
      b.log.assignEpochStartOffset(b.view.epoch, b.log.logEndOffset);
      b.followerEnds = new Map();
      b.leaderSinceMs = this.nowMs;
      return;
    }
    for (const [source, f] of b.fetchers) if (source !== b.view.leader) f.removePartition(TP);
    let fetcher = b.fetchers.get(b.view.leader);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher(
        b.view.leader,
        0,
        new SimTransport(this, b, b.view.leader),
        { brokerId: b.id, maxWaitMs: 0, minBytes: 1, maxBytes: 4096, partitionMaxBytes: 600, backoffMs: 100 },
        () => this.nowMs,
        {
          onTruncate: (_tp, from, to, reason) => this.checkTruncation(b, from, to, reason),
        },
      );
      b.fetchers.set(b.view.leader, fetcher);
    }
    fetcher.addPartition(TP, b.log, b.view.epoch);
  }

  private checkTruncation(b: SimBroker, from: number, to: number, reason: string): void {
    // Truncation removes only what diverged (KIP-101's point): never a committed batch it held,
    // except when starting over at the leader's log start, which lies past it.
    this.count(
      reason.includes("starts past")
        ? "startOver"
        : reason.includes("ends below")
          ? "truncateToLeaderEnd"
          : "truncateDiverged",
    );
    if (reason.includes("starts past")) return;
    for (const removed of b.log.removed) {
      const c = this.committed.get(removed.base);
      if (c?.equals(removed.buf))
        this.violations.push(
          `broker ${b.id} truncated ${from} -> ${to}, removing committed batch ${removed.base} (${reason})`,
        );
    }
  }

  /** Leader side of Fetch for one partition (the test's model of Kafka's leader). */
  serveFetch(leader: SimBroker, replicaId: number, p: FetchPartitionRequest): FetchPartitionResult {
    const base = { topic: p.topic, partition: p.partition, divergingEpoch: null, records: null };
    const error = this.epochError(leader, p.currentLeaderEpoch);
    const log = leader.log;
    if (error !== NONE) {
      this.count(`error${error}`);
      return { ...base, errorCode: error, highWatermark: -1, logStartOffset: -1 };
    }
    const answer = { ...base, errorCode: NONE, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset };
    if (p.lastFetchedEpoch >= 0) {
      const eo = log.endOffsetForEpoch(p.lastFetchedEpoch);
      // Kafka answers an epoch it cannot place with OFFSET_OUT_OF_RANGE.
      if (eo.leaderEpoch < 0 || eo.endOffset < 0)
        return { ...base, errorCode: OFFSET_OUT_OF_RANGE, highWatermark: -1, logStartOffset: -1 };
      if (eo.leaderEpoch < p.lastFetchedEpoch || eo.endOffset < p.fetchOffset) {
        this.count("divergingEpoch");
        return { ...answer, divergingEpoch: { epoch: eo.leaderEpoch, endOffset: eo.endOffset } };
      }
    }
    if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.logEndOffset) {
      this.count("outOfRange");
      return { ...base, errorCode: OFFSET_OUT_OF_RANGE, highWatermark: -1, logStartOffset: -1 };
    }
    leader.followerEnds.set(replicaId, { end: p.fetchOffset, atMs: this.nowMs });
    this.maybeAdvanceHw(leader);
    let records = Buffer.concat(log.read(p.fetchOffset, p.partitionMaxBytes));
    if (leader.corruptNext && records.length > 70) {
      leader.corruptNext = false;
      this.count("corrupt");
      records = Buffer.from(records);
      records[records.length - 3]! ^= 0xff;
    }
    return { ...answer, highWatermark: log.highWatermark, records };
  }

  epochError(leader: SimBroker, currentLeaderEpoch: number): number {
    if (leader.view.leader !== leader.id) return NOT_LEADER_OR_FOLLOWER;
    if (currentLeaderEpoch < leader.view.epoch) return FENCED_LEADER_EPOCH;
    if (currentLeaderEpoch > leader.view.epoch) return UNKNOWN_LEADER_EPOCH;
    return NONE;
  }

  /**
   * HW = the smallest log end in the ISR. A follower silent for ISR_LAG_MS leaves the ISR, but only
   * a current leader can shrink it (Kafka's AlterPartition checks the leader epoch): a stale
   * leader's HW waits for every replica.
   */
  maybeAdvanceHw(leader: SimBroker): void {
    const current = this.controller.leader === leader.id && this.controller.epoch === leader.view.epoch;
    let hw = leader.log.logEndOffset;
    for (const id of this.ids) {
      if (id === leader.id) continue;
      const f = leader.followerEnds.get(id);
      const lastFetchMs = f?.atMs ?? leader.leaderSinceMs;
      if (current && this.nowMs - lastFetchMs > ISR_LAG_MS) continue;
      if (f === undefined) return;
      hw = Math.min(hw, f.end);
    }
    if (hw <= leader.log.highWatermark) return;
    leader.log.setHighWatermark(hw);
    for (const b of leader.log.batches) {
      if (b.last >= hw) break;
      const seen = this.committed.get(b.base);
      if (seen !== undefined && !seen.equals(b.buf))
        this.violations.push(`committed batch at ${b.base} changed (leader ${leader.id})`);
      this.committed.set(b.base, b.buf);
      this.committedEnd = Math.max(this.committedEnd, b.last + 1);
    }
  }

  /** Holds every committed batch from its log start to the committed end (Kafka's ISR member). */
  holdsCommitted(broker: SimBroker): boolean {
    if (broker.log.logEndOffset < this.committedEnd) return false;
    for (const b of broker.log.batches) {
      if (b.base >= this.committedEnd) break;
      const c = this.committed.get(b.base);
      if (c !== undefined && !c.equals(b.buf)) return false;
    }
    return true;
  }

  /**
   * The leader the controller chose keeps every committed batch. (A replica out of the ISR may hold
   * other batches at committed offsets until it fetches: the ex-leader's unreplicated writes.)
   */
  checkLeaderHoldsCommitted(): void {
    const leader = this.broker(this.controller.leader);
    if (!this.holdsCommitted(leader))
      this.violations.push(
        `leader ${leader.id} lost or changed a committed batch (committed end ${this.committedEnd})`,
      );
  }
}

class SimTransport implements LeaderTransport {
  constructor(
    private readonly cluster: SimCluster,
    private readonly self: SimBroker,
    private readonly sourceId: number,
  ) {}

  private leader(): SimBroker {
    const leader = this.cluster.broker(this.sourceId);
    if (leader.cut || this.self.cut) throw new Error("network cut");
    return leader;
  }

  supportsDivergingEpoch(): Promise<boolean> {
    return Promise.resolve().then(() => this.leader().v12);
  }

  fetch(request: ReplicaFetchRequest): Promise<FetchPartitionResult[]> {
    return Promise.resolve().then(() => {
      const leader = this.leader();
      return request.partitions.map((p) => this.cluster.serveFetch(leader, request.replicaId, p));
    });
  }

  offsetsForLeaderEpoch(_replicaId: number, partitions: EpochRequest[]): Promise<EpochResult[]> {
    return Promise.resolve().then(() => {
      const leader = this.leader();
      return partitions.map((p) => {
        const errorCode = this.cluster.epochError(leader, p.currentLeaderEpoch);
        if (errorCode !== NONE) return { ...p, errorCode, leaderEpoch: -1, endOffset: -1 };
        return { topic: p.topic, partition: p.partition, errorCode, ...leader.log.endOffsetForEpoch(p.leaderEpoch) };
      });
    });
  }

  listOffset(
    _replicaId: number,
    _tp: TopicPartition,
    currentLeaderEpoch: number,
    timestamp: number,
  ): Promise<{ errorCode: number; offset: number }> {
    return Promise.resolve().then(() => {
      const leader = this.leader();
      const errorCode = this.cluster.epochError(leader, currentLeaderEpoch);
      if (errorCode !== NONE) return { errorCode, offset: -1 };
      const log = leader.log;
      return { errorCode, offset: timestamp === EARLIEST_TIMESTAMP ? log.logStartOffset : log.logEndOffset };
    });
  }

  close(): void {}
}
