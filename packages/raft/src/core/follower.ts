// Follower-side handling of votes, appends and snapshots, as functions over RaftCore
// (kept apart from role transitions and Ready plumbing in raft.ts).
import type { RaftCore } from "./raft.js";
import { assert } from "@gregor/protocol/util";
import { emptyMessage, NONE, type Message } from "./types.js";

/** §5.2 / §5.4.1: grant if we have not voted for another this term and its log is up to date. */
export function handleVote(r: RaftCore, m: Message): void {
  const canVote =
    r.vote === m.from || (r.vote === NONE && r.lead === NONE) || (m.type === "preVote" && m.term > r.term);
  const resp = emptyMessage(m.type === "vote" ? "voteResp" : "preVoteResp", r.id, m.from, r.term);
  if (canVote && r.log.isUpToDate(m.index, m.logTerm)) {
    resp.term = m.term;
    r.send(resp);
    if (m.type === "vote") {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    resp.reject = true;
    r.send(resp);
  }
}

export function handleAppend(r: RaftCore, m: Message): void {
  const log = r.log;
  const resp = emptyMessage("appResp", r.id, m.from, r.term);
  if (m.index < log.committed) {
    resp.index = log.committed;
    r.send(resp);
    return;
  }
  const lastNew = log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    resp.index = lastNew;
  } else {
    // Reject with a hint: the last index <= m.index whose term <= m.logTerm (etcd-raft).
    const hint = log.findConflictByTerm(Math.min(m.index, log.lastIndex()), m.logTerm);
    resp.index = m.index;
    resp.reject = true;
    resp.rejectHint = hint.index;
    resp.logTerm = hint.term;
  }
  r.send(resp);
}

export function handleSnapshot(r: RaftCore, m: Message): void {
  const snap = m.snapshot;
  assert(snap !== null, "snap message without snapshot");
  const log = r.log;
  const resp = emptyMessage("appResp", r.id, m.from, r.term);
  if (snap.meta.index <= log.committed) {
    resp.index = log.committed;
  } else if (log.matchTerm(snap.meta.index, snap.meta.term)) {
    // Our log already has it: just fast-forward the commit (etcd-raft restore()).
    log.commitTo(snap.meta.index);
    resp.index = log.committed;
  } else {
    log.restore(snap);
    r.membership = snap.meta.membership;
    resp.index = log.lastIndex();
  }
  r.send(resp);
}
