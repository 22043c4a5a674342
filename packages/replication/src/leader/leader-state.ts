// The leader's view of one partition's replicas (Kafka's Partition + Replica on the leader side):
// each follower's log end offset and when it was last caught up, the high watermark, and the ISR
// with at most one AlterPartition in flight (KIP-497). Pure: time comes in as nowMs, nothing here
// does I/O; the broker glue reads the log end offset and sends what this state proposes.

/** What the leader knows of one follower (Kafka's ReplicaState). */
export interface FollowerState {
  readonly brokerId: number;
  /** The follower's log end offset as its last fetch said (-1 before its first fetch). */
  logEndOffset: number;
  /** Last time the follower was known to have everything the leader had (0 = never). */
  lastCaughtUpTimeMs: number;
  /** The leader's log end offset at the follower's previous fetch. */
  lastFetchLeaderLogEndOffset: number;
  lastFetchTimeMs: number;
}

export interface LeaderStateOptions {
  localBrokerId: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** The log's high watermark when leadership started (the checkpointed or the follower's HW). */
  highWatermark: number;
  /** The log end offset when this epoch started (KIP-101: a follower joins the ISR only past it). */
  leaderEpochStartOffset: number;
  nowMs: number;
}

/** An ISR change waiting for the controller's answer (Kafka's PendingExpandIsr / PendingShrinkIsr). */
export interface PendingIsrChange {
  readonly kind: "expand" | "shrink";
  readonly proposedIsr: readonly number[];
  /** Set once the controller refused with a stale epoch: wait for the next image, send nothing. */
  awaitingImage: boolean;
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export class PartitionLeaderState {
  readonly localBrokerId: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  /** The committed ISR (the controller's last word). */
  isr: readonly number[];
  pending: PendingIsrChange | null = null;
  private hw: number;
  readonly leaderEpochStartOffset: number;
  private readonly followers = new Map<number, FollowerState>();

  constructor(options: LeaderStateOptions) {
    this.localBrokerId = options.localBrokerId;
    this.leaderEpoch = options.leaderEpoch;
    this.partitionEpoch = options.partitionEpoch;
    this.replicas = options.replicas;
    this.isr = options.isr;
    this.hw = options.highWatermark;
    this.leaderEpochStartOffset = options.leaderEpochStartOffset;
    this.resetFollowers(options.nowMs);
  }

  get highWatermark(): number {
    return this.hw;
  }

  /**
   * The ISR the high watermark waits for: the committed one plus any member a pending change would
   * add (Kafka's maximalIsr: a shrink is not assumed before the controller commits it, an
   * expansion is assumed at once so the HW never passes an offset the new member lacks).
   */
  get maximalIsr(): readonly number[] {
    const pending = this.pending;
    if (pending === null || pending.kind === "shrink") return this.isr;
    return pending.proposedIsr;
  }

  follower(brokerId: number): FollowerState | undefined {
    return this.followers.get(brokerId);
  }

  isReplica(brokerId: number): boolean {
    return this.replicas.includes(brokerId);
  }

  /**
   * Followers start unknown; those in the ISR count as caught up now (Kafka's resetReplicaState),
   * so a new leader does not shrink them before they had a chance to fetch.
   */
  private resetFollowers(nowMs: number): void {
    const previous = new Map(this.followers);
    this.followers.clear();
    for (const id of this.replicas) {
      if (id === this.localBrokerId) continue;
      const known = previous.get(id);
      if (known !== undefined) {
        this.followers.set(id, known);
        continue;
      }
      this.followers.set(id, {
        brokerId: id,
        logEndOffset: -1,
        lastCaughtUpTimeMs: this.isr.includes(id) ? nowMs : 0,
        lastFetchLeaderLogEndOffset: -1,
        lastFetchTimeMs: 0,
      });
    }
  }

  /**
   * A follower fetched at `fetchOffset` (its log end offset) while the leader's was
   * `leaderLogEndOffset`. Kafka's rule: caught up now if it asked for the leader's end; else, if it
   * asked for at least what the leader had at its previous fetch, caught up as of that fetch.
   * Returns false when `brokerId` is not a follower of this partition.
   */
  updateFollowerFetchState(brokerId: number, fetchOffset: number, leaderLogEndOffset: number, nowMs: number): boolean {
    const f = this.followers.get(brokerId);
    if (f === undefined) return false;
    if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset)
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    f.lastFetchTimeMs = nowMs;
    f.logEndOffset = fetchOffset;
    return true;
  }

  /**
   * HW = the smallest log end offset over the maximal ISR (the leader's included). Returns whether
   * it moved; it never moves back on the leader.
   */
  maybeIncrementHighWatermark(leaderLogEndOffset: number): boolean {
    let candidate = leaderLogEndOffset;
    for (const id of this.maximalIsr) {
      if (id === this.localBrokerId) continue;
      const f = this.followers.get(id);
      // A member the leader has not heard from yet holds the HW where it is.
      const leo = f === undefined ? -1 : f.logEndOffset;
      if (leo < candidate) candidate = leo;
    }
    if (candidate <= this.hw) return false;
    assert(candidate <= leaderLogEndOffset, "high watermark past the log end offset");
    this.hw = candidate;
    return true;
  }

  /** Kafka's isFollowerInSync: it has everything below the HW and reached this epoch's start. */
  isFollowerInSync(brokerId: number): boolean {
    const f = this.followers.get(brokerId);
    return f !== undefined && f.logEndOffset >= this.hw && f.logEndOffset >= this.leaderEpochStartOffset;
  }

  /** Caught up now, or within maxLagMs (Kafka's ReplicaState.isCaughtUp). */
  isCaughtUp(brokerId: number, leaderLogEndOffset: number, nowMs: number, maxLagMs: number): boolean {
    const f = this.followers.get(brokerId);
    if (f === undefined) return false;
    return f.logEndOffset === leaderLogEndOffset || nowMs - f.lastCaughtUpTimeMs <= maxLagMs;
  }

  /** The ISR with `brokerId` added, if it may join now (no change in flight); else null. */
  expandCandidate(brokerId: number): readonly number[] | null {
    if (this.pending !== null || this.isr.includes(brokerId) || !this.isReplica(brokerId)) return null;
    if (!this.isFollowerInSync(brokerId)) return null;
    return [...this.isr, brokerId];
  }

  /** ISR followers that fell more than maxLagMs behind (Kafka's getOutOfSyncReplicas). */
  outOfSyncReplicas(leaderLogEndOffset: number, nowMs: number, maxLagMs: number): number[] {
    const out: number[] = [];
    for (const id of this.isr) {
      if (id === this.localBrokerId) continue;
      if (!this.isCaughtUp(id, leaderLogEndOffset, nowMs, maxLagMs)) out.push(id);
    }
    return out;
  }

  /** The shrunk ISR to propose, if any member lags and no change is in flight; else null. */
  shrinkCandidate(leaderLogEndOffset: number, nowMs: number, maxLagMs: number): readonly number[] | null {
    if (this.pending !== null) return null;
    const lagging = this.outOfSyncReplicas(leaderLogEndOffset, nowMs, maxLagMs);
    if (lagging.length === 0) return null;
    return this.isr.filter((id) => !lagging.includes(id));
  }

  /** Records that an AlterPartition with `proposedIsr` is being sent (one in flight at a time). */
  beginIsrChange(kind: "expand" | "shrink", proposedIsr: readonly number[]): void {
    assert(this.pending === null, "an ISR change is already in flight");
    assert(proposedIsr.includes(this.localBrokerId), "the leader must stay in its ISR");
    this.pending = { kind, proposedIsr, awaitingImage: false };
  }

  /** The controller committed the change: its ISR and partition epoch are now the state. */
  isrChangeCommitted(isr: readonly number[], partitionEpoch: number): void {
    this.pending = null;
    // An answer older than an image applied meanwhile changes nothing.
    if (partitionEpoch < this.partitionEpoch) return;
    this.isr = isr;
    this.partitionEpoch = partitionEpoch;
  }

  /**
   * The change failed. With a stale epoch (INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH) the
   * committed state is behind the controller's: wait for the next image. Otherwise (a timeout, no
   * controller) forget it; the next check proposes again.
   */
  isrChangeFailed(staleEpoch: boolean): void {
    if (this.pending === null) return;
    if (staleEpoch) this.pending.awaitingImage = true;
    else this.pending = null;
  }

  /**
   * A new image for the same leader epoch: a newer partition epoch replaces the committed state
   * and whatever was pending (Kafka applies the controller's PartitionChange the same way).
   */
  applyImage(replicas: readonly number[], isr: readonly number[], partitionEpoch: number, nowMs: number): void {
    if (partitionEpoch <= this.partitionEpoch) return;
    this.partitionEpoch = partitionEpoch;
    this.isr = isr;
    this.pending = null;
    if (replicas.length !== this.replicas.length || replicas.some((id, i) => id !== this.replicas[i])) {
      this.replicas = replicas;
      this.resetFollowers(nowMs);
    }
  }
}
