// The quorum as DescribeQuorum (API 55, KIP-595/KIP-836) reports it: leader, epoch, high
// watermark, and per voter its log end offset, when the leader last heard from it and when it was
// last caught up. Raft index i is metadata log offset i - 1, so an end offset (the next offset) is
// numerically the last index, and the high watermark is the commit index.
import type { RaftNode } from "@gregor/raft";
import type { ClusterSettings } from "../../cluster/cluster-config.js";
import type { ControllerRaftTransport } from "./raft-transport.js";

export interface ReplicaStatus {
  replicaId: number;
  logEndOffset: number;
  /** -1 when unknown (Kafka's convention). */
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

export interface QuorumStatus {
  nodeId: number;
  isLeader: boolean;
  /** -1 when no leader is known. */
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  voters: ReplicaStatus[];
  observers: ReplicaStatus[];
}

/** Remembers when each voter was last caught up to the leader's log end (sampled by the leader). */
export class CaughtUpTracker {
  private readonly at = new Map<number, number>();

  sample(raft: RaftNode, nowMs: number): void {
    const status = raft.status();
    if (status.role !== "leader") {
      this.at.clear();
      return;
    }
    for (const p of status.progress) if (p.id === status.id || p.match >= status.lastIndex) this.at.set(p.id, nowMs);
  }

  get(id: number): number {
    return this.at.get(id) ?? -1;
  }
}

/**
 * Brokers that are not voters, as the active controller sees them through heartbeats (KRaft's
 * observers fetch the log; here combined-mode brokers replay it locally and report their offset).
 */
export class ObserverTracker {
  private static readonly MAX = 10_000;
  private readonly byBroker = new Map<number, { offset: number; atMs: number; caughtUpMs: number }>();
  private highWatermark = 0;

  note(brokerId: number, offset: number, nowMs: number): void {
    const prev = this.byBroker.get(brokerId);
    if (prev === undefined && this.byBroker.size >= ObserverTracker.MAX) return;
    const caughtUpMs = offset >= this.highWatermark ? nowMs : (prev?.caughtUpMs ?? -1);
    this.byBroker.set(brokerId, { offset, atMs: nowMs, caughtUpMs });
  }

  list(voters: readonly { id: number }[], highWatermark: number): ReplicaStatus[] {
    this.highWatermark = highWatermark;
    const out: ReplicaStatus[] = [];
    for (const [id, o] of this.byBroker) {
      if (voters.some((v) => v.id === id)) continue;
      out.push({
        replicaId: id,
        logEndOffset: o.offset,
        lastFetchTimestamp: o.atMs,
        lastCaughtUpTimestamp: o.caughtUpMs,
      });
    }
    return out.sort((a, b) => a.replicaId - b.replicaId);
  }

  clear(): void {
    this.byBroker.clear();
  }
}

export function buildQuorumStatus(
  raft: RaftNode,
  settings: ClusterSettings,
  transport: ControllerRaftTransport,
  caughtUp: CaughtUpTracker,
  nowMs: number,
): QuorumStatus {
  caughtUp.sample(raft, nowMs);
  const s = raft.status();
  const isLeader = s.role === "leader";
  const voters = settings.voters.map((v): ReplicaStatus => {
    if (v.id === s.id) {
      return {
        replicaId: v.id,
        logEndOffset: s.lastIndex,
        lastFetchTimestamp: isLeader ? nowMs : -1,
        lastCaughtUpTimestamp: isLeader ? nowMs : -1,
      };
    }
    const progress = s.progress.find((p) => p.id === v.id);
    return {
      replicaId: v.id,
      logEndOffset: progress?.match ?? -1,
      lastFetchTimestamp: isLeader ? (transport.lastHeardMs.get(v.id) ?? -1) : -1,
      lastCaughtUpTimestamp: isLeader ? caughtUp.get(v.id) : -1,
    };
  });
  return {
    nodeId: s.id,
    isLeader,
    leaderId: s.leaderId === 0 ? -1 : s.leaderId,
    leaderEpoch: s.term,
    highWatermark: s.commit,
    voters,
    observers: [],
  };
}
