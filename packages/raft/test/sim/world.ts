// Deterministic simulation of a raft cluster: virtual clock, a lossy/duplicating/reordering/
// partitioning network, disks with fsync latency, crash-restart, and KV clients. Invariants
// are checked after every event; everything derives from one seed.
import type { Message, NodeId, Ready } from "../../src/index.js";
import { fmtMessage } from "../format.js";
import { ClientDriver } from "./clients.js";
import { Checker } from "./invariants.js";
import { Kv, decodeCommand, encodeCommand } from "./kv.js";
import { INBOX_LIMIT, SimNode, type ClientRequest, type NodeInput } from "./node.js";
import { Prng } from "@gregor/testkit";
import { EventQueue } from "./event-queue.js";

export interface SimOptions {
  voters: number;
  learners: number;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  minDelayMs: number;
  maxDelayMs: number;
  dropRate: number;
  dupRate: number;
  maxDiskMs: number;
  /** Mean ms between faults (crash or partition) during the chaos phase; 0 = none. */
  faultEveryMs: number;
  chaosMs: number;
  quietMs: number;
  snapshotEvery: number;
  maxInflightMsgs: number;
  maxMsgBytes: number;
  clients: number;
  keys: number;
  /** After heal, a stable leader must exist within this bound. */
  livenessBoundMs: number;
}

export function randomOptions(rng: Prng, kind: "safety" | "lin"): SimOptions {
  const voters = rng.chance(0.6) ? 3 : 5;
  return {
    voters,
    learners: rng.chance(0.3) ? 1 : 0,
    tickMs: 10,
    electionTicks: 10,
    heartbeatTicks: 2,
    preVote: rng.chance(0.8),
    checkQuorum: rng.chance(0.8),
    minDelayMs: rng.int(0, 2),
    maxDelayMs: rng.int(3, 30),
    dropRate: rng.pick([0, 0.01, 0.05, 0.15]),
    dupRate: rng.pick([0, 0.01, 0.05]),
    maxDiskMs: rng.int(0, 5),
    faultEveryMs: rng.pick([150, 300, 600]),
    chaosMs: kind === "safety" ? 4000 : 1500,
    quietMs: kind === "safety" ? 2500 : 1800,
    snapshotEvery: rng.pick([8, 30, 100]),
    maxInflightMsgs: rng.pick([1, 4, 64]),
    maxMsgBytes: rng.pick([1, 256, 4096]),
    clients: kind === "safety" ? 3 : rng.int(2, 5),
    keys: rng.int(1, 4),
    livenessBoundMs: 1500,
  };
}

type SimEvent =
  | { kind: "tick"; node: NodeId }
  | { kind: "deliver"; msg: Message }
  | { kind: "fsync"; node: NodeId; life: number }
  | { kind: "crash"; node: NodeId }
  | { kind: "restart"; node: NodeId }
  | { kind: "fault" }
  | { kind: "heal" }
  | { kind: "endChaos" }
  | { kind: "req"; node: NodeId; req: ClientRequest }
  | { kind: "client"; run: () => void };

export class Simulation {
  readonly rng: Prng;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly voters: NodeId[] = [];
  readonly checker = new Checker();
  readonly clients: ClientDriver;
  now = 0;
  events = 0;
  private readonly queue = new EventQueue<SimEvent>();
  private groups = new Map<NodeId, number>();
  private chaos = true;
  healedAt = -1;
  stableLeaderAt = -1;
  readonly trace: string[] = [];
  private readonly earlySend: boolean;

  constructor(
    readonly seed: number,
    readonly opts: SimOptions,
    private readonly verbose = false,
  ) {
    this.rng = new Prng(seed);
    this.earlySend = this.rng.chance(0.5);
    const all: NodeId[] = [];
    for (let i = 1; i <= opts.voters + opts.learners; i++) all.push(i);
    this.voters.push(...all.slice(0, opts.voters));
    const learners = all.slice(opts.voters);
    for (const id of all) {
      const r = this.rng.fork();
      const n = new SimNode(id, {
        id,
        membership: { voters: this.voters, learners },
        electionTicks: opts.electionTicks,
        heartbeatTicks: opts.heartbeatTicks,
        random: () => r.next(),
        preVote: opts.preVote,
        checkQuorum: opts.checkQuorum,
        maxInflightMsgs: opts.maxInflightMsgs,
        maxMsgBytes: opts.maxMsgBytes,
      });
      n.start();
      this.nodes.set(id, n);
      this.queue.push(this.rng.int(0, opts.tickMs), { kind: "tick", node: id });
    }
    this.clients = new ClientDriver(this, opts.clients, opts.keys);
    if (opts.faultEveryMs > 0) this.queue.push(this.rng.int(0, opts.faultEveryMs * 2), { kind: "fault" });
    this.queue.push(opts.chaosMs, { kind: "endChaos" });
  }

  log(s: string): void {
    if (this.verbose) this.trace.push(`${this.now} ${s}`);
  }

  schedule(delayMs: number, ev: SimEvent): void {
    this.queue.push(this.now + delayMs, ev);
  }

  netDelay(): number {
    return this.rng.int(this.opts.minDelayMs, this.opts.maxDelayMs);
  }

  /** Whether a packet from a to b survives (partitions and random loss). */
  linkUp(a: NodeId, b: NodeId): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }

  lossy(): boolean {
    return this.chaos && this.rng.chance(this.opts.dropRate);
  }

  run(): void {
    const end = this.opts.chaosMs + this.opts.quietMs;
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined || next.time > end) break;
      this.now = next.time;
      this.events++;
      this.handle(next.ev);
      this.checkInvariants();
    }
    this.finalChecks();
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case "tick": {
        this.schedule(this.opts.tickMs, ev);
        this.input(ev.node, { kind: "tick" });
        break;
      }
      case "deliver": {
        const m = ev.msg;
        if (!this.linkUp(m.from, m.to)) return;
        if (this.verbose) this.log(fmtMessage(m));
        this.input(m.to, { kind: "msg", msg: m });
        break;
      }
      case "req":
        this.input(ev.node, { kind: "req", req: ev.req });
        break;
      case "fsync":
        this.completeFsync(ev.node, ev.life);
        break;
      case "crash": {
        const n = this.nodes.get(ev.node)!;
        if (!n.up) return;
        this.log(`crash ${ev.node}`);
        n.crash();
        this.schedule(this.rng.int(20, 600), { kind: "restart", node: ev.node });
        break;
      }
      case "restart": {
        const n = this.nodes.get(ev.node)!;
        if (n.up) return;
        this.log(`restart ${ev.node}`);
        n.start();
        break;
      }
      case "fault":
        if (!this.chaos) return;
        this.injectFault();
        this.schedule(this.rng.int(1, this.opts.faultEveryMs * 2), ev);
        break;
      case "heal":
        this.groups.clear();
        break;
      case "endChaos":
        this.chaos = false;
        this.groups.clear();
        this.healedAt = this.now;
        for (const [id, n] of this.nodes) if (!n.up) this.schedule(0, { kind: "restart", node: id });
        break;
      case "client":
        ev.run();
        break;
    }
  }

  private injectFault(): void {
    const ids = [...this.nodes.keys()];
    const dice = this.rng.next();
    if (dice < 0.15) {
      // Leadership transfer to a random voter (thesis §3.10).
      const leader = ids.find((id) => this.nodes.get(id)!.core?.role === "leader");
      const n = leader !== undefined ? this.nodes.get(leader)! : undefined;
      if (n !== undefined && n.persisting === null) {
        n.core!.transferLeadership(this.rng.pick(this.voters));
        this.pump(n);
      }
    } else if (dice < 0.55) {
      // Crash a node, preferring the leader to exercise elections.
      const leader = ids.find((id) => this.nodes.get(id)!.core?.role === "leader");
      const victim = leader !== undefined && this.rng.chance(0.5) ? leader : this.rng.pick(ids);
      this.schedule(0, { kind: "crash", node: victim });
    } else {
      this.groups.clear();
      const k = this.rng.int(1, 3);
      for (const id of ids) this.groups.set(id, this.rng.int(0, k));
      this.log(`partition ${JSON.stringify([...this.groups])}`);
      this.schedule(this.rng.int(50, 800), { kind: "heal" });
    }
  }

  /** Feed an input to a node, or buffer it while its Ready is being persisted. */
  private input(id: NodeId, inp: NodeInput): void {
    const n = this.nodes.get(id)!;
    if (!n.up) return;
    if (n.persisting !== null) {
      if (n.inbox.length < INBOX_LIMIT) n.inbox.push(inp);
      return;
    }
    this.stepInput(n, inp);
    this.pump(n);
  }

  private stepInput(n: SimNode, inp: NodeInput): void {
    const core = n.core!;
    switch (inp.kind) {
      case "tick":
        core.tick();
        break;
      case "msg":
        core.step(inp.msg);
        break;
      case "req":
        this.serveRequest(n, inp.req);
        break;
    }
  }

  private serveRequest(n: SimNode, req: ClientRequest): void {
    const core = n.core!;
    if (req.op.kind === "get") {
      const ctx = `${n.id}.${n.life}.${n.readCounter++}`;
      if (core.readIndex(ctx)) n.pendingReads.set(ctx, req);
      else this.clients.respond(req, { ok: false, leaderHint: core.lead });
      return;
    }
    const r = core.propose(encodeCommand({ c: req.client, s: req.seq, op: req.op }));
    if (r.ok) n.pendingWrites.set(`${req.client}:${req.seq}`, req);
    else this.clients.respond(req, { ok: false, leaderHint: r.leaderId });
  }

  private pump(n: SimNode): void {
    const core = n.core!;
    if (n.persisting !== null || !core.hasReady()) return;
    const rd = core.ready();
    if (core.role === "leader" && this.earlySend) {
      // Thesis §10.2.1, as the driver does: a leader's appends go out before its fsync.
      const early = (m: Message): boolean => m.type === "app" || m.type === "heartbeat" || m.type === "snap";
      for (const m of rd.messages) if (early(m)) this.send(m);
      rd.messages = rd.messages.filter((m) => !early(m));
    }
    n.persisting = rd;
    this.schedule(this.rng.int(0, this.opts.maxDiskMs), { kind: "fsync", node: n.id, life: n.life });
  }

  private completeFsync(id: NodeId, life: number): void {
    const n = this.nodes.get(id)!;
    if (n.life !== life || n.persisting === null) return; // the process died before fsync completed
    const rd = n.persisting;
    const core = n.core!;
    n.disk.write(rd);
    this.checker.checkPersisted(core, rd.entries);
    for (const m of rd.messages) this.send(m);
    this.apply(n, rd);
    core.advance(rd);
    this.maybeCompact(n);
    n.persisting = null;
    const inbox = n.inbox;
    n.inbox = [];
    for (const inp of inbox) this.stepInput(n, inp);
    this.pump(n);
  }

  private send(m: Message): void {
    if (!this.linkUp(m.from, m.to) || this.lossy()) return;
    this.schedule(this.netDelay(), { kind: "deliver", msg: m });
    if (this.chaos && this.rng.chance(this.opts.dupRate))
      this.schedule(this.netDelay() * 2, { kind: "deliver", msg: m });
  }

  private apply(n: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      n.kv = Kv.restore(rd.snapshot.data);
      n.appliedIndex = rd.snapshot.meta.index;
    }
    for (const e of rd.committedEntries) {
      this.checker.checkCommitted(n.id, e);
      n.appliedIndex = e.index;
      if (e.type !== "normal") continue;
      const cmd = decodeCommand(e.data);
      n.kv.apply(cmd);
      const key = `${cmd.c}:${cmd.s}`;
      const req = n.pendingWrites.get(key);
      if (req !== undefined) {
        n.pendingWrites.delete(key);
        this.clients.respond(req, { ok: true, value: "" });
      }
    }
    for (const rs of rd.readStates) {
      const req = n.pendingReads.get(rs.context);
      if (req === undefined) continue;
      n.pendingReads.delete(rs.context);
      n.readWaiters.push({ index: rs.index, req });
    }
    n.readWaiters = n.readWaiters.filter((w) => {
      if (n.appliedIndex < w.index) return true;
      if (w.req.op.kind === "get") this.clients.respond(w.req, { ok: true, value: n.kv.get(w.req.op.key) });
      return false;
    });
  }

  private maybeCompact(n: SimNode): void {
    const core = n.core!;
    if (core.log.applied - core.log.snapshotIndex < this.opts.snapshotEvery) return;
    if (n.appliedIndex !== core.log.applied) return;
    const snap = core.compact(core.log.applied, n.kv.snapshot());
    n.disk.compact(snap);
  }

  private checkInvariants(): void {
    const durable = new Map<NodeId, SimNode["disk"]>();
    let leader: NodeId = 0;
    let leaders = 0;
    for (const [id, n] of this.nodes) {
      durable.set(id, n.disk);
      const core = n.core;
      if (core === null) continue;
      this.checker.checkLeader(core);
      if (core.role === "leader") {
        leaders++;
        leader = id;
      }
      const commit = core.log.committed;
      if (commit > n.commitChecked) {
        for (let i = Math.max(n.commitChecked + 1, core.log.firstIndex()); i <= commit; i++) {
          this.checker.checkCommitted(id, core.log.entry(i)!);
        }
        n.commitChecked = commit;
      }
    }
    this.checker.checkDurable(this.voters, durable);
    if (this.healedAt >= 0 && this.stableLeaderAt < 0 && leaders === 1) {
      const term = this.nodes.get(leader)!.core!.term;
      const agreed = [...this.nodes.values()].every(
        (n) => n.core !== null && n.core.lead === leader && n.core.term === term,
      );
      if (agreed) this.stableLeaderAt = this.now;
    }
  }

  private finalChecks(): void {
    if (this.stableLeaderAt < 0 || this.stableLeaderAt - this.healedAt > this.opts.livenessBoundMs) {
      this.checker.fail(
        `liveness: no stable leader within ${this.opts.livenessBoundMs}ms of healing at ${this.healedAt} (got ${this.stableLeaderAt})`,
      );
    }
    this.clients.checkLiveness(this.healedAt + this.opts.livenessBoundMs);
  }
}
