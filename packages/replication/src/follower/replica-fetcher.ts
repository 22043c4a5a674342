// One replica fetcher: the follower side of Kafka's pull replication for the partitions one source
// broker leads (Kafka's AbstractFetcherThread / ReplicaFetcherThread). Each round (`doWork`) asks
// the leader for everything past each local log end in one Fetch, appends what comes back
// verbatim, follows the leader's high watermark and log start, and truncates where the logs
// diverged (KIP-101/279 through OffsetForLeaderEpoch, or Fetch v12's divergingEpoch, KIP-320/595).
// No timers here: a driver (run-loop.ts) calls doWork and waits the delay it returns.
import { ErrorCode, errorByCode } from "@gregor/protocol";
import { appendFollowerRecords } from "./append.js";
import { offsetTruncationState } from "./truncation.js";
import {
  EARLIEST_TIMESTAMP,
  type EpochResult,
  type FetcherEvents,
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type FollowerLog,
  LATEST_TIMESTAMP,
  type LeaderTransport,
  type ReplicaFetcherConfig,
  type TopicPartition,
} from "./types.js";

/** truncating: must ask OffsetForLeaderEpoch first (leader older than Fetch v12). */
export type FetchStateName = "truncating" | "fetching" | "paused";

export interface PartitionFetchState {
  readonly tp: TopicPartition;
  readonly log: FollowerLog;
  /** The leader epoch of the image that made this broker a follower (KIP-320 fencing). */
  readonly currentLeaderEpoch: number;
  state: FetchStateName;
  /** Not fetched before this time (backoff after an error). */
  delayedUntilMs: number;
}

/** How long a fetcher with nothing to fetch waits before looking again (a new partition wakes it). */
export const IDLE_DELAY_MS = 1000;

export const keyOf = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

export class ReplicaFetcher {
  private readonly partitions = new Map<string, PartitionFetchState>();
  private closed = false;

  constructor(
    readonly sourceBrokerId: number,
    readonly fetcherId: number,
    private readonly transport: LeaderTransport,
    private readonly config: ReplicaFetcherConfig,
    private readonly nowMs: () => number,
    private readonly events: FetcherEvents = {},
  ) {}

  get partitionCount(): number {
    return this.partitions.size;
  }

  partitionState(tp: TopicPartition): PartitionFetchState | undefined {
    return this.partitions.get(keyOf(tp));
  }

  /**
   * Starts (or restarts, for a new leader epoch) fetching a partition. A partition that was paused
   * by a stale-epoch answer resumes here: the manager calls this for every newer image.
   */
  addPartition(tp: TopicPartition, log: FollowerLog, currentLeaderEpoch: number): void {
    this.partitions.set(keyOf(tp), {
      tp: { topic: tp.topic, partition: tp.partition },
      log,
      currentLeaderEpoch,
      // Decided per round from the leader's Fetch version (supportsDivergingEpoch).
      state: "truncating",
      delayedUntilMs: 0,
    });
  }

  removePartition(tp: TopicPartition): boolean {
    return this.partitions.delete(keyOf(tp));
  }

  /** Stops fetching: the round in flight ends without touching a log or reporting the closed socket. */
  close(): void {
    this.closed = true;
    this.partitions.clear();
    this.transport.close();
  }

  /** One round. Returns how long to wait before the next (0: go on at once). */
  async doWork(): Promise<number> {
    const now = this.nowMs();
    const ready = [...this.partitions.values()].filter((p) => p.state !== "paused" && p.delayedUntilMs <= now);
    if (ready.length === 0) return this.nextDelay(now);
    let divergingEpochs: boolean;
    try {
      divergingEpochs = await this.transport.supportsDivergingEpoch();
    } catch (err) {
      return this.backOffAll(ready, "cannot reach the leader", err);
    }
    if (divergingEpochs) {
      for (const p of ready) if (p.state === "truncating") p.state = "fetching";
    } else {
      const truncating = ready.filter((p) => p.state === "truncating");
      if (truncating.length > 0 && !(await this.truncateByEpochs(truncating))) return this.config.backoffMs;
    }
    const fetching = ready.filter((p) => p.state === "fetching" && this.isCurrent(p));
    if (fetching.length === 0) return 0;
    let results: FetchPartitionResult[];
    try {
      results = await this.transport.fetch({
        replicaId: this.config.brokerId,
        maxWaitMs: this.config.maxWaitMs,
        minBytes: this.config.minBytes,
        maxBytes: this.config.maxBytes,
        partitions: fetching.map((p) => this.fetchRequestOf(p, divergingEpochs)),
      });
    } catch (err) {
      return this.backOffAll(fetching, "fetch from the leader failed", err);
    }
    for (const result of results) {
      const p = this.partitions.get(keyOf(result));
      // Removed or re-added (a newer epoch) while the fetch was out: its answer is stale.
      if (p === undefined || !fetching.includes(p)) continue;
      await this.processResult(p, result);
    }
    return 0;
  }

  private fetchRequestOf(p: PartitionFetchState, divergingEpochs: boolean): FetchPartitionRequest {
    const log = p.log;
    return {
      topic: p.tp.topic,
      partition: p.tp.partition,
      fetchOffset: log.logEndOffset,
      lastFetchedEpoch: divergingEpochs ? log.latestEpoch : -1,
      currentLeaderEpoch: p.currentLeaderEpoch,
      logStartOffset: log.logStartOffset,
      partitionMaxBytes: this.config.partitionMaxBytes,
    };
  }

  private isCurrent(p: PartitionFetchState): boolean {
    return this.partitions.get(keyOf(p.tp)) === p;
  }

  private nextDelay(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.partitions.values()) if (p.state !== "paused") next = Math.min(next, p.delayedUntilMs);
    return next === Number.POSITIVE_INFINITY ? IDLE_DELAY_MS : Math.max(1, next - now);
  }

  private backOffAll(parts: PartitionFetchState[], message: string, err: unknown): number {
    const until = this.nowMs() + this.config.backoffMs;
    for (const p of parts) p.delayedUntilMs = until;
    if (this.closed) return this.config.backoffMs;
    this.events.onError?.(null, `${message} (broker ${this.sourceBrokerId})`, err);
    return this.config.backoffMs;
  }

  private backOff(p: PartitionFetchState): void {
    p.delayedUntilMs = this.nowMs() + this.config.backoffMs;
  }

  private async processResult(p: PartitionFetchState, r: FetchPartitionResult): Promise<void> {
    switch (r.errorCode) {
      case ErrorCode.NONE:
        if (r.divergingEpoch !== null && r.divergingEpoch.epoch >= 0) {
          await this.truncateTo(p, { leaderEpoch: r.divergingEpoch.epoch, endOffset: r.divergingEpoch.endOffset });
          return;
        }
        await this.appendAndFollow(p, r);
        return;
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.handleOutOfRange(p);
        return;
      default:
        this.handleError(p, r.errorCode, "fetch");
    }
  }

  /**
   * FENCED_LEADER_EPOCH: our image is older than the leader's, a newer one will re-add the
   * partition, so it waits for that. NOT_LEADER_OR_FOLLOWER / UNKNOWN_LEADER_EPOCH and the rest:
   * the leader's image may lag ours (it does not know yet that it leads), so retry after the
   * backoff as Kafka does.
   */
  private handleError(p: PartitionFetchState, errorCode: number, what: string): void {
    if (errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
      p.state = "paused";
      this.events.onPaused?.(p.tp, errorCode);
      return;
    }
    this.backOff(p);
    this.events.onError?.(p.tp, `${what} answered ${errorName(errorCode)} (broker ${this.sourceBrokerId})`);
  }

  private async appendAndFollow(p: PartitionFetchState, r: FetchPartitionResult): Promise<void> {
    const log = p.log;
    if (r.records !== null && r.records.length > 0) {
      try {
        const outcome = await appendFollowerRecords(log, r.records);
        if (outcome.truncatedFrom !== undefined)
          this.events.onTruncate?.(
            p.tp,
            outcome.truncatedFrom,
            log.logEndOffset,
            "a leader batch straddles our log end",
          );
      } catch (err) {
        // A corrupt or unexpected batch is not appended; the same offset is fetched again.
        this.backOff(p);
        this.events.onError?.(p.tp, `append at ${log.logEndOffset} failed; re-fetching`, err);
        return;
      }
    }
    // Removed while appending (this broker now leads it): the leader side owns its HW now.
    if (!this.isCurrent(p)) return;
    if (r.highWatermark >= 0) log.setHighWatermark(Math.min(r.highWatermark, log.logEndOffset));
    // The leader's DeleteRecords / retention moved its log start: follow it up to our HW.
    if (r.logStartOffset > log.logStartOffset && r.logStartOffset <= log.highWatermark) {
      try {
        await log.deleteRecordsBefore(r.logStartOffset);
      } catch (err) {
        this.events.onError?.(p.tp, `moving the log start to ${r.logStartOffset} failed`, err);
      }
    }
  }

  private async truncateTo(
    p: PartitionFetchState,
    leader: { leaderEpoch: number; endOffset: number },
  ): Promise<boolean> {
    const t = offsetTruncationState(p.log, leader);
    const from = p.log.logEndOffset;
    // Called even at the log end: the log then drops epochs that start there (Kafka does too).
    await p.log.truncateTo(t.offset);
    if (p.log.logEndOffset < from) {
      this.events.onTruncate?.(
        p.tp,
        from,
        p.log.logEndOffset,
        `leader epoch ${leader.leaderEpoch} ends at ${leader.endOffset}`,
      );
    }
    return t.truncationCompleted;
  }

  /** Before Fetch v12: OffsetForLeaderEpoch for our latest epoch, truncate, then fetch (KIP-101/279). */
  private async truncateByEpochs(parts: PartitionFetchState[]): Promise<boolean> {
    const ask = parts.filter((p) => p.log.latestEpoch >= 0);
    for (const p of parts) if (p.log.latestEpoch < 0) p.state = "fetching";
    if (ask.length === 0) return true;
    let results: EpochResult[];
    try {
      results = await this.transport.offsetsForLeaderEpoch(
        this.config.brokerId,
        ask.map((p) => ({ ...p.tp, currentLeaderEpoch: p.currentLeaderEpoch, leaderEpoch: p.log.latestEpoch })),
      );
    } catch (err) {
      this.backOffAll(ask, "OffsetForLeaderEpoch to the leader failed", err);
      return false;
    }
    for (const r of results) {
      const p = this.partitions.get(keyOf(r));
      if (p === undefined || !ask.includes(p)) continue;
      if (r.errorCode !== ErrorCode.NONE) {
        this.handleError(p, r.errorCode, "OffsetForLeaderEpoch");
        continue;
      }
      if (await this.truncateTo(p, { leaderEpoch: r.leaderEpoch, endOffset: r.endOffset })) p.state = "fetching";
    }
    return true;
  }

  /**
   * OFFSET_OUT_OF_RANGE (Kafka's fetchOffsetAndTruncate): a leader whose log ends below ours makes
   * us truncate to its end (only an unclean election gets there); a leader whose log starts past our
   * end makes us start over at its log start.
   */
  private async handleOutOfRange(p: PartitionFetchState): Promise<void> {
    const log = p.log;
    const replicaEndOffset = log.logEndOffset;
    const id = this.config.brokerId;
    try {
      const latest = await this.transport.listOffset(id, p.tp, p.currentLeaderEpoch, LATEST_TIMESTAMP);
      if (!this.isCurrent(p)) return;
      if (latest.errorCode !== ErrorCode.NONE) return this.handleError(p, latest.errorCode, "ListOffsets");
      if (latest.offset < replicaEndOffset) {
        await log.truncateTo(latest.offset);
        this.events.onTruncate?.(p.tp, replicaEndOffset, log.logEndOffset, "leader's log ends below ours");
        return;
      }
      const earliest = await this.transport.listOffset(id, p.tp, p.currentLeaderEpoch, EARLIEST_TIMESTAMP);
      if (!this.isCurrent(p)) return;
      if (earliest.errorCode !== ErrorCode.NONE) return this.handleError(p, earliest.errorCode, "ListOffsets");
      if (earliest.offset > replicaEndOffset) {
        await log.truncateFullyAndStartAt(earliest.offset);
        this.events.onTruncate?.(p.tp, replicaEndOffset, earliest.offset, "leader's log starts past our end");
        return;
      }
      // Our offset is inside the leader's log after all (it moved meanwhile): fetch again, not hot.
      this.backOff(p);
    } catch (err) {
      if (!this.isCurrent(p)) return;
      this.backOff(p);
      this.events.onError?.(p.tp, "ListOffsets to the leader failed", err);
    }
  }
}

function errorName(code: number): string {
  return errorByCode(code)?.name ?? String(code);
}
