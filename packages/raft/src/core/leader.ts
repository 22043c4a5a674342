// Leader-side replication, commit, heartbeats, read-index and leadership transfer.
// Functions over RaftCore, kept apart from the role-independent logic in raft.ts.
import { quorumIndex, quorumSize } from "./progress.js";
import type { RaftCore } from "./raft.js";
import { assert } from "@gregor/protocol/util";
import { emptyMessage, type Message, type NodeId } from "./types.js";

/**
 * Send the follower what it is missing (etcd-raft maybeSendAppend). Returns false if nothing
 * was sent (paused, or nothing new and !sendIfEmpty). Falls back to a snapshot when the
 * entries it needs were compacted away (§7).
 */
export function sendAppend(r: RaftCore, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const log = r.log;
  const prevIndex = pr.next - 1;
  const prevTerm = log.term(prevIndex);
  if (prevTerm === undefined) {
    const snap = log.snapshot;
    assert(snap !== null, `no snapshot to send to ${to} (next ${pr.next})`);
    const m = emptyMessage("snap", r.id, to, r.term);
    m.snapshot = snap;
    r.send(m);
    pr.becomeSnapshot(snap.meta.index);
    return true;
  }
  const entries = pr.next <= log.lastIndex() ? log.slice(pr.next, log.lastIndex() + 1, r.maxMsgBytes) : [];
  if (entries.length === 0 && !sendIfEmpty) return false;
  const m = emptyMessage("app", r.id, to, r.term);
  m.index = prevIndex;
  m.logTerm = prevTerm;
  m.entries = entries;
  m.commit = log.committed;
  r.send(m);
  pr.sentEntries(prevIndex + entries.length, entries.length);
  return true;
}

export function bcastAppend(r: RaftCore): void {
  for (const id of r.progress.keys()) if (id !== r.id) sendAppend(r, id, true);
}

/** Heartbeats carry commit = min(match, committed) so a follower never commits past its log. */
export function bcastHeartbeat(r: RaftCore, context: string): void {
  for (const [id, pr] of r.progress) {
    if (id === r.id) continue;
    const m = emptyMessage("heartbeat", r.id, id, r.term);
    m.commit = Math.min(pr.match, r.log.committed);
    m.context = context;
    r.send(m);
  }
}

/**
 * Advance commit to the index a majority of voters has persisted, but only if that entry is
 * from the current term (§5.4.2: entries of older terms commit indirectly).
 */
export function maybeCommit(r: RaftCore): boolean {
  const matches: number[] = [];
  for (const id of r.membership.voters) matches.push(r.progress.get(id)?.match ?? 0);
  const mci = quorumIndex(matches);
  if (mci <= r.log.committed || r.log.term(mci) !== r.term) return false;
  const hadCommittedInTerm = committedInTerm(r);
  r.log.commitTo(mci);
  if (!hadCommittedInTerm) releaseQueuedReads(r);
  return true;
}

export function committedInTerm(r: RaftCore): boolean {
  return r.log.term(r.log.committed) === r.term;
}

export function handleAppendResp(r: RaftCore, m: Message): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    // Fast backtracking: skip the whole conflicting term (etcd-raft, §5.3 final paragraph).
    let nextProbe = m.rejectHint;
    if (m.logTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
    if (pr.maybeDecrTo(m.index, nextProbe)) {
      if (pr.state === "replicate") pr.becomeProbe();
      sendAppend(r, m.from, true);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === "probe"))) return;
  if (pr.state === "probe") {
    pr.becomeReplicate();
  } else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === "replicate") {
    pr.freeInflightsTo(m.index);
  }
  if (maybeCommit(r)) {
    bcastAppend(r);
  } else if (wasPaused) {
    sendAppend(r, m.from, true);
  }
  while (sendAppend(r, m.from, false)) {
    // fill the in-flight window
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

export function handleHeartbeatResp(r: RaftCore, m: Message): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.probeSent = false; // a heartbeat answer unpauses a probing follower
  // A full window may hold a lost append: free one slot so replication can make progress
  // (etcd-raft frees the first inflight on heartbeat response).
  if (pr.state === "replicate" && pr.isPaused()) pr.inflights.shift();
  if (pr.match < r.log.lastIndex() || pr.state === "probe") sendAppend(r, m.from, true);
  if (m.context !== "") ackRead(r, m.from, m.context);
}

/** Check-quorum (etcd CheckQuorum, thesis §6.2): step down if a majority went silent. */
export function checkQuorumActive(r: RaftCore): boolean {
  let active = 0;
  for (const id of r.membership.voters) {
    const pr = r.progress.get(id);
    if (pr === undefined) continue;
    if (id === r.id || pr.recentActive) active++;
  }
  for (const [id, pr] of r.progress) pr.recentActive = id === r.id;
  return active >= quorumSize(r.membership.voters.length);
}

// --- read-index (thesis §6.4) ---

export interface PendingRead {
  context: string;
  index: number;
  from: NodeId;
  acks: Set<NodeId>;
}

/** A read-index request at the leader, from itself or forwarded by a follower. */
export function leaderReadIndex(r: RaftCore, from: NodeId, context: string): boolean {
  if (!committedInTerm(r)) {
    // The leader does not yet know the latest commit index: wait for its first commit.
    if (r.queuedReads.length >= r.maxPendingReads) return false;
    r.queuedReads.push({ from, context });
    return true;
  }
  if (r.membership.voters.length === 1) {
    respondRead(r, from, context, r.log.committed);
    return true;
  }
  if (r.pendingReads.length >= r.maxPendingReads) return false;
  r.pendingReads.push({ context, index: r.log.committed, from, acks: new Set([r.id]) });
  bcastHeartbeat(r, context);
  return true;
}

function releaseQueuedReads(r: RaftCore): void {
  const queued = r.queuedReads.splice(0);
  for (const q of queued) leaderReadIndex(r, q.from, q.context);
}

function ackRead(r: RaftCore, from: NodeId, context: string): void {
  const k = r.pendingReads.findIndex((p) => p.context === context);
  if (k < 0) return;
  const read = r.pendingReads[k]!;
  if (r.membership.voters.includes(from)) read.acks.add(from);
  if (read.acks.size < quorumSize(r.membership.voters.length)) return;
  // Leadership confirmed at the time of this heartbeat round: every earlier read is safe too.
  const done = r.pendingReads.splice(0, k + 1);
  for (const p of done) respondRead(r, p.from, p.context, p.index);
}

function respondRead(r: RaftCore, from: NodeId, context: string, index: number): void {
  if (from === r.id) {
    r.readStates.push({ index, context });
    return;
  }
  const m = emptyMessage("readIndexResp", r.id, from, r.term);
  m.index = index;
  m.context = context;
  r.send(m);
}

// --- leadership transfer (thesis §3.10) ---

export function sendTimeoutNow(r: RaftCore, to: NodeId): void {
  r.send(emptyMessage("timeoutNow", r.id, to, r.term));
}
