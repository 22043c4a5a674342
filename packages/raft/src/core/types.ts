/** Node ids are positive integers; 0 means "none" (no vote, no known leader). */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = "normal" | "noop";

/** One raft log entry (Raft paper §5.3). `data` is opaque to raft. */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/**
 * The state that must survive a crash before any message that depends on it is sent
 * (Raft paper Figure 2 "persistent state": currentTerm, votedFor). `commit` is carried
 * too (as etcd-raft does) so a restarted node can re-apply quickly; it is never ahead of
 * the persisted log.
 */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** Cluster membership. Learners replicate the log but never vote or count toward quorum. */
export interface Membership {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMeta {
  index: number;
  term: number;
  membership: Membership;
}

/** A state-machine snapshot covering every entry up to and including `meta.index` (§7). */
export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export type MessageType =
  | "app" // AppendEntries (§5.3)
  | "appResp"
  | "vote" // RequestVote (§5.2)
  | "voteResp"
  | "preVote" // Pre-vote (Ongaro thesis §9.6)
  | "preVoteResp"
  | "heartbeat" // empty AppendEntries carrying commit and a read-index context
  | "heartbeatResp"
  | "snap" // InstallSnapshot (§7)
  | "timeoutNow" // leadership transfer (thesis §3.10)
  | "readIndex" // follower -> leader read-index request (thesis §6.4)
  | "readIndexResp";

/**
 * One message, flat like etcd-raft's raftpb.Message: fields a type does not use are 0 / empty.
 * `index`/`logTerm` are the previous entry for "app", the last log entry for votes, the
 * accepted/rejected index for "appResp".
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  /** Read-index context ("heartbeat"/"readIndex"), or "transfer" on votes forced by timeoutNow. */
  context: string;
  snapshot: Snapshot | null;
}

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

export interface SoftState {
  leaderId: NodeId;
  role: Role;
}

/** A linearizable read barrier: once applied >= index, reading local state is linearizable. */
export interface ReadState {
  index: number;
  context: string;
}

/**
 * Everything the core wants done, from `RaftCore.ready()`.
 *
 * Contract (etcd-raft's Ready, Raft paper Figure 2 "before responding to RPCs"):
 * 1. Persist `hardState`, `entries` (an entry at index i replaces any stored entry at i and
 *    everything after it) and `snapshot` durably (fsync) FIRST.
 * 2. Only then send `messages`: they may promise (votes, append acks) what step 1 stored.
 *    Exception (thesis §10.2.1): while the node is leader, its "app"/"heartbeat"/"snap"
 *    messages may be sent before or during step 1, because the leader counts its own log
 *    toward a quorum only after `advance()`.
 * 3. Apply `snapshot` (if any) then `committedEntries` to the state machine, in order.
 * 4. Call `advance(ready)`. Do not call `ready()` again before `advance()`, and do not
 *    call `step`/`propose`/`tick` between `ready()` and `advance()` (buffer them instead).
 */
export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  entries: Entry[];
  snapshot: Snapshot | null;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
}

export interface RaftConfig {
  id: NodeId;
  /** Initial membership when there is no snapshot. */
  membership: Membership;
  /**
   * Election timeout in ticks; the actual timeout is random in
   * [electionTicks, electionTicks + electionJitterTicks) (§5.2 randomized timeouts).
   */
  electionTicks: number;
  /** Width of the random range; defaults to electionTicks (etcd-raft's [et, 2*et)). */
  electionJitterTicks?: number;
  heartbeatTicks: number;
  /** Seeded source of randomness in [0, 1). */
  random: () => number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Max total entry bytes in one "app" message (flow control). */
  maxMsgBytes?: number;
  /** Max "app" messages in flight to one follower in replicate state. */
  maxInflightMsgs?: number;
  /** Max uncommitted entries at the leader; proposals beyond it are refused. */
  maxUncommittedEntries?: number;
  /** Max pending read-index requests. */
  maxPendingReads?: number;
}

/** What a restarted node recovered from its disk. */
export interface InitialState {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
  /** The index the state machine has already applied (>= snapshot index). */
  applied?: number;
}

export function emptyMessage(type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  return {
    type,
    from,
    to,
    term,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: "",
    snapshot: null,
  };
}
