// Ready / advance plumbing and status for RaftCore (etcd-raft's RawNode.Ready/Advance).
import { bcastAppend, maybeCommit } from "./leader.js";
import type { RaftCore } from "./raft.js";
import type { HardState, NodeId, Ready, Role, SoftState } from "./types.js";

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: "notLeader" | "transferring" | "overloaded"; leaderId: NodeId };

export interface RaftStatus {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId;
  leaderId: NodeId;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  progress: {
    id: NodeId;
    match: number;
    next: number;
    state: string;
    learner: boolean;
    inflight: number;
    paused: boolean;
  }[];
}

/** Cap on the bytes of committed entries handed out in one Ready. */
const MAX_APPLY_BYTES = 4 << 20;

/** What the last Ready reported, to detect changes. */
export class ReadyTracker {
  constructor(
    public prevHard: HardState,
    public prevSoft: SoftState,
  ) {}
}

function hardChanged(a: HardState, b: HardState): boolean {
  return a.term !== b.term || a.vote !== b.vote || a.commit !== b.commit;
}

function softChanged(a: SoftState, b: SoftState): boolean {
  return a.leaderId !== b.leaderId || a.role !== b.role;
}

export function hasReady(r: RaftCore, t: ReadyTracker): boolean {
  const log = r.log;
  return (
    r.msgs.length > 0 ||
    log.stabledIndex < log.lastIndex() ||
    log.pendingSnapshot !== null ||
    (log.committed > log.applied && log.committed >= log.firstIndex()) ||
    r.readStates.length > 0 ||
    hardChanged(r.hardState(), t.prevHard) ||
    softChanged(r.softState(), t.prevSoft)
  );
}

export function takeReady(r: RaftCore, t: ReadyTracker): Ready {
  const log = r.log;
  const hs = r.hardState();
  const ss = r.softState();
  const rd: Ready = {
    softState: softChanged(ss, t.prevSoft) ? ss : null,
    hardState: hardChanged(hs, t.prevHard) ? hs : null,
    entries: log.unstableEntries(),
    snapshot: log.pendingSnapshot,
    committedEntries: log.pendingSnapshot !== null ? [] : log.nextCommitted(MAX_APPLY_BYTES),
    messages: r.msgs,
    readStates: r.readStates,
  };
  r.msgs = [];
  r.readStates = [];
  t.prevHard = hs;
  t.prevSoft = ss;
  return rd;
}

export function advanceReady(r: RaftCore, rd: Ready): void {
  const log = r.log;
  if (rd.snapshot !== null) {
    if (log.pendingSnapshot === rd.snapshot) log.pendingSnapshot = null;
    log.applied = Math.max(log.applied, rd.snapshot.meta.index);
  }
  const last = rd.entries[rd.entries.length - 1];
  if (last !== undefined) log.stableTo(last.index, last.term);
  const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
  if (lastApplied !== undefined) log.applied = Math.max(log.applied, lastApplied.index);
  if (r.role === "leader") {
    // The leader's own log counts toward the quorum only once durable (self match = stabled).
    const self = r.progress.get(r.id);
    if (self?.maybeUpdate(log.stabledIndex) && maybeCommit(r)) bcastAppend(r);
  }
}

export function statusOf(r: RaftCore): RaftStatus {
  const progress = [...r.progress.values()].map((p) => ({
    id: p.id,
    match: p.match,
    next: p.next,
    state: p.state,
    learner: p.isLearner,
    inflight: p.inflights.length,
    paused: p.isPaused(),
  }));
  return {
    id: r.id,
    role: r.role,
    term: r.term,
    vote: r.vote,
    leaderId: r.lead,
    commit: r.log.committed,
    applied: r.log.applied,
    lastIndex: r.log.lastIndex(),
    snapshotIndex: r.log.snapshotIndex,
    progress: r.role === "leader" ? progress : [],
  };
}
