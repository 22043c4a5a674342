export type { ProposeResult, RaftStatus } from "./ready.js";
import {
  bcastAppend,
  bcastHeartbeat,
  checkQuorumActive,
  handleAppendResp,
  handleHeartbeatResp,
  leaderReadIndex,
  sendAppend,
  sendTimeoutNow,
  type PendingRead,
} from "./leader.js";
import { campaign as startCampaign, stepCandidate } from "./candidate.js";
import { handleAppend, handleSnapshot, handleVote } from "./follower.js";
import { RaftLog } from "./log.js";
import {
  advanceReady,
  hasReady,
  ReadyTracker,
  statusOf,
  takeReady,
  type ProposeResult,
  type RaftStatus,
} from "./ready.js";
import { Progress } from "./progress.js";
import { assert } from "@gregor/protocol/util";
import {
  emptyMessage,
  NONE,
  type Entry,
  type HardState,
  type InitialState,
  type Membership,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SoftState,
} from "./types.js";

/**
 * The pure Raft state machine (etcd-raft's `raft` + `RawNode`): no I/O, no clock, no
 * Math.random. Drive it with tick() / step() / propose(), then ready() -> persist -> send ->
 * apply -> advance().
 */
export class RaftCore {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = "follower";
  readonly log = new RaftLog();
  membership: Membership;
  progress = new Map<NodeId, Progress>();
  leadTransferee: NodeId = NONE;
  pendingReads: PendingRead[] = [];
  queuedReads: { from: NodeId; context: string }[] = [];
  readStates: ReadState[] = [];
  readonly maxMsgBytes: number;
  readonly maxPendingReads: number;
  private readonly cfg: RaftConfig;
  private readonly maxInflight: number;
  private readonly maxUncommitted: number;
  /** Votes of the current (pre-)election (candidate.ts counts them). */
  votes = new Map<NodeId, boolean>();
  /** Outgoing messages, drained by ready(). */
  msgs: Message[] = [];
  /** Ticks since the last election reset / leader contact (read by follower.ts). */
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly tracker: ReadyTracker;

  constructor(cfg: RaftConfig, initial?: InitialState) {
    assert(cfg.id !== NONE, "node id must be non-zero");
    assert(cfg.heartbeatTicks > 0 && cfg.electionTicks > cfg.heartbeatTicks, "need electionTicks > heartbeatTicks > 0");
    this.cfg = cfg;
    this.id = cfg.id;
    this.membership = cfg.membership;
    this.maxMsgBytes = cfg.maxMsgBytes ?? 1 << 20;
    this.maxInflight = cfg.maxInflightMsgs ?? 256;
    this.maxUncommitted = cfg.maxUncommittedEntries ?? 100_000;
    this.maxPendingReads = cfg.maxPendingReads ?? 4096;
    if (initial !== undefined) this.restoreFrom(initial);
    this.tracker = new ReadyTracker(this.hardState(), this.softState());
    this.becomeFollower(this.term, NONE);
  }

  private restoreFrom(s: InitialState): void {
    const log = this.log;
    if (s.snapshot !== null) {
      log.snapshotIndex = s.snapshot.meta.index;
      log.snapshotTerm = s.snapshot.meta.term;
      log.snapshot = s.snapshot;
      this.membership = s.snapshot.meta.membership;
    }
    for (const e of s.entries) {
      if (e.index <= log.snapshotIndex) continue;
      assert(e.index === log.lastIndex() + 1, `recovered log has a gap at ${e.index}`);
      log.entries.push(e);
    }
    log.stabledIndex = log.lastIndex();
    log.committed = Math.max(log.snapshotIndex, Math.min(s.hardState.commit, log.lastIndex()));
    log.applied = Math.min(log.committed, Math.max(log.snapshotIndex, s.applied ?? log.snapshotIndex));
    this.term = s.hardState.term;
    this.vote = s.hardState.vote;
  }

  // --- inputs ---

  /** One logical clock tick (the driver calls it every tickMs). */
  tick(): void {
    this.electionElapsed++;
    if (this.role !== "leader") {
      if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
        this.electionElapsed = 0;
        this.campaign(false);
      }
      return;
    }
    this.heartbeatElapsed++;
    for (const pr of this.progress.values()) {
      // A snapshot that got lost is retried after an election timeout.
      if (pr.state === "snapshot" && ++pr.snapshotTicks >= this.cfg.electionTicks) pr.becomeProbe();
    }
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum === true && !checkQuorumActive(this)) {
        this.becomeFollower(this.term, NONE);
        return;
      }
      this.leadTransferee = NONE; // a transfer that did not finish in an election timeout is aborted
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this, "");
    }
  }

  /** Start an election now (etcd MsgHup); with pre-vote, a pre-election first (thesis §9.6). */
  campaign(transfer: boolean): void {
    startCampaign(this, transfer, this.cfg.preVote === true);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === "vote" || m.type === "preVote") {
        // Leader lease (etcd, thesis §4.2.3): ignore disruptive candidates while we hear
        // from a leader, unless the leader itself asked for this election (transfer).
        const inLease =
          this.cfg.checkQuorum === true && this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks;
        if (m.context !== "transfer" && inLease) return;
      }
      if (m.type === "preVote" || (m.type === "preVoteResp" && !m.reject)) {
        // A pre-vote never changes our term (thesis §9.6).
      } else if (m.type === "app" || m.type === "heartbeat" || m.type === "snap") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if (
        (this.cfg.checkQuorum === true || this.cfg.preVote === true) &&
        (m.type === "app" || m.type === "heartbeat")
      ) {
        // Tell a stale leader about the newer term; otherwise, with pre-vote, a node
        // partitioned away could never displace it (etcd-raft).
        this.send(emptyMessage("appResp", this.id, m.from, this.term));
      } else if (m.type === "preVote") {
        const r = emptyMessage("preVoteResp", this.id, m.from, this.term);
        r.reject = true;
        this.send(r);
      }
      return;
    }

    if (m.type === "vote" || m.type === "preVote") {
      handleVote(this, m);
      return;
    }
    switch (this.role) {
      case "leader":
        this.stepLeader(m);
        break;
      case "candidate":
      case "preCandidate":
        stepCandidate(this, m);
        break;
      case "follower":
        this.stepFollower(m);
        break;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case "appResp":
        handleAppendResp(this, m);
        break;
      case "heartbeatResp":
        handleHeartbeatResp(this, m);
        break;
      case "readIndex":
        // A refused (over-limit) read is dropped: the follower's caller times out and retries.
        leaderReadIndex(this, m.from, m.context);
        break;
      default:
        break;
    }
  }

  /** @internal (candidate.ts steps a message here after stepping down) */
  stepFollower(m: Message): void {
    switch (m.type) {
      case "app":
        this.electionElapsed = 0;
        this.lead = m.from;
        handleAppend(this, m);
        break;
      case "heartbeat":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.log.commitTo(m.commit);
        this.send({ ...emptyMessage("heartbeatResp", this.id, m.from, this.term), context: m.context });
        break;
      case "snap":
        this.electionElapsed = 0;
        this.lead = m.from;
        handleSnapshot(this, m);
        break;
      case "timeoutNow":
        this.campaign(true);
        break;
      case "readIndexResp":
        this.readStates.push({ index: m.index, context: m.context });
        break;
      default:
        break;
    }
  }

  /** Propose entries; only the leader accepts (the caller redirects to `leaderId`). */
  proposeBatch(datas: Uint8Array[]): ProposeResult {
    if (this.role !== "leader") return { ok: false, reason: "notLeader", leaderId: this.lead };
    if (this.leadTransferee !== NONE) return { ok: false, reason: "transferring", leaderId: this.lead };
    if (this.log.lastIndex() - this.log.committed + datas.length > this.maxUncommitted) {
      return { ok: false, reason: "overloaded", leaderId: this.lead };
    }
    const first = this.log.lastIndex() + 1;
    const ents: Entry[] = datas.map((data, k) => ({ term: this.term, index: first + k, type: "normal", data }));
    this.log.append(ents);
    bcastAppend(this);
    return { ok: true, index: first, term: this.term };
  }

  propose(data: Uint8Array): ProposeResult {
    return this.proposeBatch([data]);
  }

  /** Request a linearizable read barrier; the answer arrives in Ready.readStates. */
  readIndex(context: string): boolean {
    if (this.role === "leader") return leaderReadIndex(this, this.id, context);
    if (this.lead === NONE) return false;
    const m = emptyMessage("readIndex", this.id, this.lead, this.term);
    m.context = context;
    this.send(m);
    return true;
  }

  /** Hand leadership to `to` (thesis §3.10): catch it up, then tell it to campaign now. */
  transferLeadership(to: NodeId): boolean {
    if (this.role !== "leader" || to === this.id || !this.membership.voters.includes(to)) return false;
    const pr = this.progress.get(to);
    if (pr === undefined) return false;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) {
      sendTimeoutNow(this, to);
    } else {
      sendAppend(this, to, true);
    }
    return true;
  }

  /** The state machine took a snapshot at `index` (<= applied): compact the log (§7). */
  compact(index: number, data: Uint8Array): Snapshot {
    const term = this.log.term(index);
    assert(term !== undefined, `compact: no term for ${index}`);
    const snap: Snapshot = { meta: { index, term, membership: this.membership }, data };
    this.log.compact(snap);
    return snap;
  }

  // --- role transitions ---

  /** @internal role transition (candidate.ts) */
  becomeFollower(term: number, lead: NodeId): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.role = "follower";
    this.lead = lead;
    this.resetTimers();
  }

  /** @internal role transition (candidate.ts) */
  becomePreCandidate(): void {
    assert(this.role !== "leader", "leader cannot become pre-candidate");
    this.role = "preCandidate";
    this.lead = NONE;
    this.votes = new Map();
    this.resetTimers();
  }

  /** @internal role transition (candidate.ts) */
  becomeCandidate(): void {
    assert(this.role !== "leader", "leader cannot become candidate");
    this.term += 1;
    this.vote = this.id;
    this.role = "candidate";
    this.lead = NONE;
    this.votes = new Map();
    this.resetTimers();
  }

  /** @internal role transition (candidate.ts) */
  becomeLeader(): void {
    assert(this.role === "candidate", "only a candidate becomes leader");
    this.role = "leader";
    this.lead = this.id;
    this.resetTimers();
    this.progress = new Map();
    const next = this.log.lastIndex() + 1;
    for (const id of this.membership.voters) this.progress.set(id, new Progress(id, next, false, this.maxInflight));
    for (const id of this.membership.learners) this.progress.set(id, new Progress(id, next, true, this.maxInflight));
    const self = this.progress.get(this.id);
    assert(self !== undefined, "leader must be a voter");
    self.becomeReplicate();
    self.match = this.log.stabledIndex;
    self.next = this.log.lastIndex() + 1;
    // §8: a new leader commits a no-op so it learns the commit index of earlier terms.
    this.log.append([{ term: this.term, index: next, type: "noop", data: new Uint8Array(0) }]);
    bcastAppend(this);
  }

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    const jitter = this.cfg.electionJitterTicks ?? this.cfg.electionTicks;
    this.randomizedElectionTimeout = this.cfg.electionTicks + Math.floor(this.cfg.random() * jitter);
    this.leadTransferee = NONE;
    this.pendingReads = [];
    this.queuedReads = [];
  }

  /** The current randomized election timeout in ticks. */
  electionTimeoutTicks(): number {
    return this.randomizedElectionTimeout;
  }

  promotable(): boolean {
    return this.membership.voters.includes(this.id) && this.log.pendingSnapshot === null;
  }

  send(m: Message): void {
    this.msgs.push(m);
  }

  // --- Ready / advance (ready.ts) ---

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leaderId: this.lead, role: this.role };
  }

  hasReady(): boolean {
    return hasReady(this, this.tracker);
  }

  ready(): Ready {
    return takeReady(this, this.tracker);
  }

  advance(rd: Ready): void {
    advanceReady(this, rd);
  }

  status(): RaftStatus {
    return statusOf(this);
  }
}
