import { assert } from "@gregor/protocol/util";
import type { NodeId } from "./types.js";

/**
 * Leader-side view of one follower (etcd-raft's tracker.Progress, Raft paper §5.3 nextIndex /
 * matchIndex). Flow control:
 * - probe: we do not know where the follower's log ends; send one append per heartbeat
 *   interval and wait for its answer.
 * - replicate: the follower is caught up; stream appends optimistically, at most
 *   `maxInflight` unacknowledged messages at a time.
 * - snapshot: a snapshot is on its way; send nothing else until it is acknowledged.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an append was sent and we are waiting (until a reply or heartbeat). */
  probeSent = false;
  pendingSnapshot = 0;
  /** Ticks since the snapshot was sent; a lost snapshot is retried after an election timeout. */
  snapshotTicks = 0;
  /** Heard from during the current check-quorum window (§6.2 / etcd CheckQuorum). */
  recentActive = false;
  /** Last index of each in-flight append, oldest first (bounded ring of maxInflight). */
  readonly inflights: number[] = [];

  constructor(
    readonly id: NodeId,
    next: number,
    readonly isLearner: boolean,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot, resume from just past it; otherwise from match+1 (etcd-raft).
    if (this.state === "snapshot") {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.reset("probe");
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset("replicate");
  }

  becomeSnapshot(index: number): void {
    this.reset("snapshot");
    this.pendingSnapshot = index;
    this.snapshotTicks = 0;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.length = 0;
  }

  /** Record an acknowledged index; true if it moved match forward. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Note that an append ending at `last` was sent. */
  sentEntries(last: number, count: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = last + 1;
        assert(this.inflights.length < this.maxInflight, "inflight window overflow");
        this.inflights.push(last);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  freeInflightsTo(index: number): void {
    let k = 0;
    while (k < this.inflights.length && this.inflights[k]! <= index) k++;
    if (k > 0) this.inflights.splice(0, k);
  }

  /**
   * Handle a rejection of the append at `rejected` (etcd-raft maybeDecrTo). Returns false if
   * the rejection is stale. `nextProbe` is where the leader wants to probe next.
   */
  maybeDecrTo(rejected: number, nextProbe: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false; // stale
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // not the probe we are waiting on
    this.next = Math.max(Math.min(rejected, nextProbe + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.length >= this.maxInflight;
      case "snapshot":
        return true;
    }
  }
}

/** The index acknowledged by a majority of `matches` (sorted descending, take the q-th). */
export function quorumIndex(matches: number[]): number {
  if (matches.length === 0) return Infinity;
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
