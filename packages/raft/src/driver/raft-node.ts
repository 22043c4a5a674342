// The driver: runs a RaftCore with real timers, durable storage and a transport, and applies
// committed entries to the caller's state machine.
import { RaftCore, type RaftStatus } from "../core/raft.js";
import type { Entry, Membership, Message, NodeId, Ready, SnapshotMeta } from "../core/types.js";
import type { RaftLogStore } from "./log-store.js";
import type { Transport } from "./transport.js";

/** The replicated state machine on top of raft. */
export interface StateMachine {
  /** Apply committed entries in log order (only "normal" entries; no-ops are skipped). */
  apply(entries: Entry[]): void | Promise<void>;
  /** Serialize the state as of the last applied entry. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replace the state with a snapshot's. */
  restore(data: Uint8Array, meta: SnapshotMeta): void | Promise<void>;
}

export interface RaftNodeOptions {
  id: NodeId;
  membership: Membership;
  store: RaftLogStore;
  transport: Transport;
  stateMachine: StateMachine;
  tickMs?: number;
  electionTicks?: number;
  /** Random election-timeout range width in ticks (default electionTicks). */
  electionJitterTicks?: number;
  heartbeatTicks?: number;
  /** Defaults to Math.random (the driver is not the pure core). */
  random?: () => number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Take a state-machine snapshot and compact the log every this many applied entries. */
  snapshotEntries?: number;
  maxInflightMsgs?: number;
  maxMsgBytes?: number;
  /** Bounds on buffered inputs. */
  maxPendingProposals?: number;
  maxInboxMsgs?: number;
  readTimeoutMs?: number;
  /**
   * A proposal not applied within this time is rejected with ProposalTimeoutError (its outcome
   * is unknown: after a leader change it may still commit — Raft paper Figure 8). Default 30 s.
   */
  proposalTimeoutMs?: number;
  /** At most this many proposals enter the log per Ready cycle (keeps cycles short). */
  maxBatchProposals?: number;
  onLeaderChange?: (leaderId: NodeId, term: number) => void;
  onSnapshotRestored?: (meta: SnapshotMeta) => void;
}

export class NotLeaderError extends Error {
  constructor(readonly leaderId: NodeId) {
    super(`not the leader (leader is ${leaderId === 0 ? "unknown" : leaderId})`);
  }
}

export class ProposalDroppedError extends Error {}

/** The proposal was appended but not applied in time; it may or may not commit later. */
export class ProposalTimeoutError extends Error {}

interface Waiter {
  resolve: (v: { index: number; term: number }) => void;
  reject: (e: Error) => void;
  deadline: number;
}

export class RaftNode {
  readonly core: RaftCore;
  private inbox: Message[] = [];
  private proposals: { data: Uint8Array; waiter: Waiter }[] = [];
  private reads: { ctx: string; resolve: (index: number) => void; reject: (e: Error) => void }[] = [];
  private readonly waiting = new Map<number, Waiter & { term: number }>();
  private readonly readWaiters = new Map<
    string,
    { resolve: (i: number) => void; reject: (e: Error) => void; deadline: number }
  >();
  private readyReads: { index: number; resolve: (i: number) => void }[] = [];
  private ticks = 0;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readCounter = 0;
  private nextExpiryCheck = 0;
  private appliedIndex: number;
  private lastLeader: NodeId = 0;
  private failure: Error | null = null;

  private constructor(
    private readonly opts: RaftNodeOptions,
    core: RaftCore,
    applied: number,
  ) {
    this.core = core;
    this.appliedIndex = applied;
  }

  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const state = await opts.store.load();
    if (state.snapshot !== null) await opts.stateMachine.restore(state.snapshot.data, state.snapshot.meta);
    const core = new RaftCore(
      {
        id: opts.id,
        membership: opts.membership,
        electionTicks: opts.electionTicks ?? 10,
        heartbeatTicks: opts.heartbeatTicks ?? 1,
        random: opts.random ?? Math.random,
        preVote: opts.preVote ?? true,
        checkQuorum: opts.checkQuorum ?? true,
        ...(opts.electionJitterTicks !== undefined ? { electionJitterTicks: opts.electionJitterTicks } : {}),
        ...(opts.maxInflightMsgs !== undefined ? { maxInflightMsgs: opts.maxInflightMsgs } : {}),
        ...(opts.maxMsgBytes !== undefined ? { maxMsgBytes: opts.maxMsgBytes } : {}),
      },
      { hardState: state.hardState, snapshot: state.snapshot, entries: state.entries },
    );
    const node = new RaftNode(opts, core, state.snapshot?.meta.index ?? 0);
    opts.transport.setHandler((msgs) => node.receive(msgs));
    node.timer = setInterval(() => {
      node.ticks++;
      node.schedule();
    }, opts.tickMs ?? 50);
    return node;
  }

  get id(): NodeId {
    return this.opts.id;
  }

  get leaderId(): NodeId {
    return this.core.lead;
  }

  get isLeader(): boolean {
    return this.core.role === "leader";
  }

  get applied(): number {
    return this.appliedIndex;
  }

  status(): RaftStatus {
    return this.core.status();
  }

  /** Replicate `data`; resolves once it is committed and applied here. */
  propose(data: Uint8Array): Promise<{ index: number; term: number }> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new Error("raft node stopped"));
      if (this.core.role !== "leader") return reject(new NotLeaderError(this.core.lead));
      if (this.proposals.length >= (this.opts.maxPendingProposals ?? 100_000)) {
        return reject(new ProposalDroppedError("too many pending proposals"));
      }
      this.proposals.push({
        data,
        waiter: { resolve, reject, deadline: performance.now() + (this.opts.proposalTimeoutMs ?? 30_000) },
      });
      this.schedule();
    });
  }

  /**
   * Linearizable read barrier (read-index, thesis §6.4): resolves with an index once the local
   * state machine has applied it; reading local state after that is linearizable.
   */
  readIndex(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new Error("raft node stopped"));
      this.reads.push({ ctx: `${this.opts.id}.${++this.readCounter}`, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Starts an election now instead of after the election timeout: a one-voter quorum has nobody
   * to wait for, so the embedded single node becomes leader at start-up.
   */
  campaign(): void {
    if (this.stopped || this.core.role === "leader") return;
    this.core.campaign(false);
    this.schedule();
  }

  transferLeadership(to: NodeId): boolean {
    const ok = this.core.transferLeadership(to);
    this.schedule();
    return ok;
  }

  private receive(msgs: Message[]): void {
    const max = this.opts.maxInboxMsgs ?? 100_000;
    for (const m of msgs) if (m.to === this.opts.id && this.inbox.length < max) this.inbox.push(m);
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    setImmediate(() => {
      this.cycle().catch((err: unknown) => this.fail(err as Error));
    });
  }

  /** Feed buffered inputs to the core, then run Ready cycles until it is quiet. */
  private async cycle(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        this.feed();
        if (!this.core.hasReady()) return;
        await this.handleReady(this.core.ready());
      }
    } finally {
      this.running = false;
      if (
        !this.stopped &&
        (this.inbox.length > 0 || this.proposals.length > 0 || this.ticks > 0 || this.reads.length > 0)
      ) {
        this.schedule();
      }
    }
  }

  private feed(): void {
    const core = this.core;
    for (; this.ticks > 0; this.ticks--) core.tick();
    const inbox = this.inbox;
    this.inbox = [];
    for (const m of inbox) core.step(m);
    if (this.proposals.length > 0) {
      const max = this.opts.maxBatchProposals ?? 4096;
      const batch = this.proposals.length <= max ? this.proposals : this.proposals.slice(0, max);
      this.proposals = this.proposals.length <= max ? [] : this.proposals.slice(max);
      const r = core.proposeBatch(batch.map((p) => p.data));
      if (r.ok) {
        batch.forEach((p, k) => {
          this.waiting.set(r.index + k, { ...p.waiter, term: r.term });
        });
      } else {
        const err =
          r.reason === "overloaded" ? new ProposalDroppedError("raft log overloaded") : new NotLeaderError(r.leaderId);
        for (const p of batch) p.waiter.reject(err);
      }
    }
    const now = performance.now();
    for (const rd of this.reads.splice(0)) {
      if (core.readIndex(rd.ctx)) {
        this.readWaiters.set(rd.ctx, {
          resolve: rd.resolve,
          reject: rd.reject,
          deadline: now + (this.opts.readTimeoutMs ?? 5000),
        });
      } else {
        rd.reject(new NotLeaderError(core.lead));
      }
    }
    if (now >= this.nextExpiryCheck) {
      this.nextExpiryCheck = now + 100;
      for (const [index, w] of this.waiting) {
        if (w.deadline >= now) continue;
        this.waiting.delete(index);
        w.reject(new ProposalTimeoutError(`entry ${index} not applied in time; outcome unknown`));
      }
    }
    for (const [ctx, w] of this.readWaiters) {
      if (w.deadline < now) {
        this.readWaiters.delete(ctx);
        w.reject(new Error("read-index timed out"));
      }
    }
  }

  /** The Ready contract: persist + fsync, then send, then apply, then advance. */
  private async handleReady(rd: Ready): Promise<void> {
    const { store, transport, stateMachine } = this.opts;
    // Thesis §10.2.1: a leader may send its appends before its own disk write completes; its
    // own log counts toward commit only after advance() (self match = persisted index). Every
    // other message (votes, acks) waits for the fsync below.
    let after = rd.messages;
    if (this.core.role === "leader" && rd.messages.length > 0) {
      const early = rd.messages.filter((m) => m.type === "app" || m.type === "heartbeat" || m.type === "snap");
      after = rd.messages.filter((m) => !(m.type === "app" || m.type === "heartbeat" || m.type === "snap"));
      if (early.length > 0) transport.send(early);
    }
    if (rd.snapshot !== null) {
      await store.saveSnapshot(rd.snapshot);
      await store.truncateSuffix(rd.snapshot.meta.index + 1); // a leader's snapshot replaces our log
    }
    if (rd.entries.length > 0) await store.append(rd.entries);
    if (rd.hardState !== null) await store.saveHardState(rd.hardState);
    if (rd.snapshot !== null || rd.entries.length > 0 || rd.hardState !== null) await store.sync();
    if (after.length > 0) transport.send(after);
    if (rd.snapshot !== null) {
      await stateMachine.restore(rd.snapshot.data, rd.snapshot.meta);
      this.appliedIndex = rd.snapshot.meta.index;
      for (const [index, w] of this.waiting) {
        if (index > this.appliedIndex) continue;
        this.waiting.delete(index);
        w.reject(new ProposalDroppedError("outcome unknown: replaced by a snapshot"));
      }
      this.opts.onSnapshotRestored?.(rd.snapshot.meta);
    }
    if (rd.committedEntries.length > 0) await this.apply(rd.committedEntries);
    for (const rs of rd.readStates) {
      const w = this.readWaiters.get(rs.context);
      if (w === undefined) continue;
      this.readWaiters.delete(rs.context);
      this.readyReads.push({ index: rs.index, resolve: w.resolve });
    }
    this.readyReads = this.readyReads.filter((r) => {
      if (r.index > this.appliedIndex) return true;
      r.resolve(r.index);
      return false;
    });
    this.core.advance(rd);
    if (rd.softState !== null && rd.softState.leaderId !== this.lastLeader) {
      this.lastLeader = rd.softState.leaderId;
      this.opts.onLeaderChange?.(rd.softState.leaderId, this.core.term);
    }
    await this.maybeSnapshot();
  }

  private async apply(entries: Entry[]): Promise<void> {
    const normal = entries.filter((e) => e.type === "normal");
    if (normal.length > 0) await this.opts.stateMachine.apply(normal);
    for (const e of entries) {
      const w = this.waiting.get(e.index);
      if (w === undefined) continue;
      this.waiting.delete(e.index);
      if (w.term === e.term) w.resolve({ index: e.index, term: e.term });
      else w.reject(new ProposalDroppedError(`entry ${e.index} was overwritten by term ${e.term}`));
    }
    this.appliedIndex = entries[entries.length - 1]!.index;
  }

  private async maybeSnapshot(): Promise<void> {
    const every = this.opts.snapshotEntries ?? 10_000;
    const log = this.core.log;
    if (log.applied - log.snapshotIndex < every || log.applied !== this.appliedIndex) return;
    const data = await this.opts.stateMachine.snapshot();
    const snap = this.core.compact(log.applied, data);
    await this.opts.store.saveSnapshot(snap);
  }

  private fail(err: Error): void {
    // A storage failure leaves the node in an unknown state: stop it (fail-stop).
    this.failure = err;
    // Closing the store may fail the same way (a full disk): `failure` already says why, and an
    // unhandled rejection here would kill the whole process.
    void this.stop().catch(() => {});
  }

  get error(): Error | null {
    return this.failure;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    const err = new Error("raft node stopped");
    for (const w of this.waiting.values()) w.reject(err);
    for (const w of this.readWaiters.values()) w.reject(err);
    for (const p of this.proposals) p.waiter.reject(err);
    for (const r of this.reads) r.reject(err);
    this.waiting.clear();
    this.readWaiters.clear();
    // Let an in-flight Ready finish before closing the store.
    while (this.running) await new Promise((r) => setTimeout(r, 1));
    await this.opts.transport.close();
    await this.opts.store.close();
  }
}
