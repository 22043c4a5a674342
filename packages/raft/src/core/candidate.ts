// Candidate-side elections: pre-vote (thesis §9.6), campaigns, vote requests and the vote count
// (§5.2), as functions over RaftCore (beside follower.ts and leader.ts; role transitions stay in
// raft.ts).
import { quorumSize } from "./progress.js";
import type { RaftCore } from "./raft.js";
import { emptyMessage, NONE, type Message, type NodeId } from "./types.js";

/** Start an election now (etcd MsgHup); with pre-vote, a pre-election first (thesis §9.6). */
export function campaign(r: RaftCore, transfer: boolean, preVote: boolean): void {
  if (!r.promotable() || r.role === "leader") return;
  if (!preVote || transfer) {
    campaignReal(r, transfer);
    return;
  }
  r.becomePreCandidate();
  if (poll(r, r.id, true) === "won") return;
  requestVotes(r, "preVote", r.term + 1, false);
}

function campaignReal(r: RaftCore, transfer: boolean): void {
  r.becomeCandidate();
  if (poll(r, r.id, true) === "won") return;
  requestVotes(r, "vote", r.term, transfer);
}

function requestVotes(r: RaftCore, type: "vote" | "preVote", term: number, transfer: boolean): void {
  for (const id of r.membership.voters) {
    if (id === r.id) continue;
    const m = emptyMessage(type, r.id, id, term);
    m.index = r.log.lastIndex();
    m.logTerm = r.log.lastTerm();
    if (transfer) m.context = "transfer";
    r.send(m);
  }
}

/** A message for a (pre-)candidate at its own term; votes were handled before (handleVote). */
export function stepCandidate(r: RaftCore, m: Message): void {
  switch (m.type) {
    case "app":
    case "heartbeat":
    case "snap":
      r.becomeFollower(m.term, m.from);
      r.stepFollower(m);
      break;
    case "voteResp":
    case "preVoteResp": {
      if ((m.type === "voteResp") !== (r.role === "candidate")) return;
      const result = poll(r, m.from, !m.reject);
      if (result === "lost") r.becomeFollower(r.term, NONE);
      break;
    }
    default:
      break;
  }
}

/** Record a vote and decide the (pre-)election (§5.2). */
function poll(r: RaftCore, from: NodeId, granted: boolean): "won" | "lost" | "pending" {
  if (!r.membership.voters.includes(from)) return "pending";
  const votes = r.votes;
  if (!votes.has(from)) votes.set(from, granted);
  let yes = 0;
  let no = 0;
  for (const g of votes.values()) g ? yes++ : no++;
  const q = quorumSize(r.membership.voters.length);
  if (yes >= q) {
    if (r.role === "preCandidate") campaignReal(r, false);
    else if (r.role === "candidate") r.becomeLeader();
    return "won";
  }
  if (no >= q) return "lost";
  return "pending";
}
