// Deterministic simulation of the controller quorum: RaftCores on a virtual clock, a lossy,
// duplicating, delaying and partitioning network, disks with fsync latency, crash-restart with
// snapshots, and brokers plus an admin client (workload.ts) calling the active controller.
// Invariants (checks.ts) run after every applied entry; everything derives from one seed.
import { Prng } from "@gregor/testkit";
import type { Message, Ready } from "@gregor/raft";
import { type MetadataImage, type MetadataRecord, QuorumController } from "../../../src/controller/index.js";
import { ImageHistory, checkEpochs, checkImage, fail, imageDiff } from "./checks.js";
import {
  type Call,
  type CallReply,
  ControllerNode,
  CLUSTER_ID,
  type NodeInput,
  controllerFromSnapshot,
  entryRecords,
  snapshotData,
} from "./controller-node.js";
import { EventQueue } from "./event-queue.js";
import { Workload } from "./workload.js";

export interface SimOptions {
  voters: number;
  brokers: number;
  dropRate: number;
  dupRate: number;
  maxDelayMs: number;
  maxDiskMs: number;
  faultEveryMs: number;
  chaosMs: number;
  quietMs: number;
  snapshotEvery: number;
}

export function randomOptions(rng: Prng): SimOptions {
  return {
    voters: rng.chance(0.7) ? 3 : 5,
    brokers: rng.int(2, 5),
    dropRate: rng.pick([0, 0.02, 0.1]),
    dupRate: rng.pick([0, 0.02]),
    maxDelayMs: rng.int(2, 20),
    maxDiskMs: rng.int(0, 4),
    faultEveryMs: rng.pick([300, 700, 1500]),
    chaosMs: 4_000,
    quietMs: 1_500,
    snapshotEvery: rng.pick([5, 20, 60]),
  };
}

const TICK_MS = 20;
/** The active controller looks for expired broker sessions this often (ticks of TICK_MS). */
const CONTROLLER_TICK_EVERY = 5;

type SimEvent =
  | { kind: "tick"; node: number }
  | { kind: "deliver"; msg: Message }
  | { kind: "fsync"; node: number; life: number }
  | { kind: "crash"; node: number }
  | { kind: "restart"; node: number }
  | { kind: "call"; node: number; call: Call }
  | { kind: "fault" }
  | { kind: "heal" }
  | { kind: "endChaos" }
  | { kind: "run"; fn: () => void };

export class Simulation {
  readonly rng: Prng;
  readonly nodes = new Map<number, ControllerNode>();
  readonly history = new ImageHistory();
  /** Every committed entry, by index, as first applied anywhere (for the whole-log replay). */
  readonly committed = new Map<number, { term: number; data: Uint8Array; type: string }>();
  readonly leaders = new Map<number, number>();
  readonly stats = { applied: 0, snapshots: 0, crashes: 0, answered: 0 };
  /** Committed records by kind (fence, unfence, shutdown, leader change, ...), to show the runs did something. */
  readonly recordKinds = new Map<string, number>();
  readonly workload: Workload;
  now = 0;
  chaos = true;
  private readonly queue = new EventQueue<SimEvent>();
  private groups = new Map<number, number>();
  private readonly earlySend: boolean;

  constructor(
    readonly seed: number,
    readonly opts: SimOptions,
  ) {
    this.rng = new Prng(seed);
    this.earlySend = this.rng.chance(0.5);
    const voters = Array.from({ length: opts.voters }, (_, i) => i + 1);
    for (const id of voters) {
      const raftRng = this.rng.fork();
      const node = new ControllerNode(
        id,
        {
          id,
          membership: { voters, learners: [] },
          electionTicks: 10,
          heartbeatTicks: 2,
          random: raftRng.random,
          preVote: true,
          checkQuorum: true,
        },
        this.rng.fork(),
      );
      node.start();
      this.nodes.set(id, node);
      this.queue.push(this.rng.int(0, TICK_MS), { kind: "tick", node: id });
    }
    this.workload = new Workload(this, opts.brokers);
    if (opts.faultEveryMs > 0) this.schedule(this.rng.int(0, opts.faultEveryMs), { kind: "fault" });
    this.schedule(opts.chaosMs, { kind: "endChaos" });
  }

  schedule(delayMs: number, ev: SimEvent): void {
    this.queue.push(this.now + delayMs, ev);
  }

  later(delayMs: number, fn: () => void): void {
    this.schedule(delayMs, { kind: "run", fn });
  }

  netDelay(): number {
    return this.rng.int(0, this.opts.maxDelayMs);
  }

  lossy(): boolean {
    return this.chaos && this.rng.chance(this.opts.dropRate);
  }

  /** An RPC to a controller node; the reply (if any arrives) comes back over the network. */
  call(nodeId: number, run: Call["run"], onReply: (r: CallReply) => void): void {
    if (this.lossy()) return;
    const reply = (r: CallReply) => {
      if (!this.lossy()) this.later(this.netDelay(), () => onReply(r));
    };
    this.schedule(this.netDelay(), { kind: "call", node: nodeId, call: { run, reply } });
  }

  /** Some node's current image (a possibly stale view, like a broker's metadata cache). */
  view(): MetadataImage | undefined {
    const up = [...this.nodes.values()].filter((n) => n.controller !== null);
    return up.length === 0 ? undefined : this.rng.pick(up).controller!.image;
  }

  run(): void {
    const end = this.opts.chaosMs + this.opts.quietMs;
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined || next.time > end) break;
      this.now = next.time;
      this.handle(next.ev);
      this.checkLeaders();
    }
    for (const n of this.nodes.values()) this.stats.answered += n.answered;
    this.finalChecks();
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case "tick":
        this.schedule(TICK_MS, ev);
        this.input(ev.node, { kind: "tick" });
        return;
      case "deliver":
        if (this.linkUp(ev.msg.from, ev.msg.to)) this.input(ev.msg.to, { kind: "msg", msg: ev.msg });
        return;
      case "call":
        this.input(ev.node, { kind: "call", call: ev.call });
        return;
      case "fsync":
        this.completeFsync(ev.node, ev.life);
        return;
      case "crash": {
        const n = this.nodes.get(ev.node)!;
        if (!n.up) return;
        n.crash();
        this.stats.crashes++;
        this.schedule(this.rng.int(20, 600), { kind: "restart", node: ev.node });
        return;
      }
      case "restart": {
        const n = this.nodes.get(ev.node)!;
        if (n.up) return;
        n.start();
        this.checkNodeImage(n, "restart");
        return;
      }
      case "fault":
        if (!this.chaos) return;
        this.injectFault();
        this.schedule(this.rng.int(1, this.opts.faultEveryMs * 2), ev);
        return;
      case "heal":
        this.groups.clear();
        return;
      case "endChaos":
        this.chaos = false;
        this.groups.clear();
        for (const [id, n] of this.nodes) if (!n.up) this.schedule(0, { kind: "restart", node: id });
        return;
      case "run":
        ev.fn();
        return;
    }
  }

  private linkUp(a: number, b: number): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }

  private injectFault(): void {
    const ids = [...this.nodes.keys()];
    const leader = ids.find((id) => this.nodes.get(id)!.core?.role === "leader");
    if (this.rng.chance(0.5)) {
      const victim = leader !== undefined && this.rng.chance(0.6) ? leader : this.rng.pick(ids);
      this.schedule(0, { kind: "crash", node: victim });
      return;
    }
    this.groups.clear();
    const k = this.rng.int(1, 2);
    for (const id of ids) this.groups.set(id, this.rng.int(0, k));
    this.schedule(this.rng.int(50, 800), { kind: "heal" });
  }

  private input(id: number, inp: NodeInput): void {
    const n = this.nodes.get(id)!;
    if (!n.up) return;
    if (n.persisting !== null) {
      if (n.inbox.length < 10_000) n.inbox.push(inp);
      return;
    }
    this.stepInput(n, inp);
    this.afterStep(n);
  }

  private stepInput(n: ControllerNode, inp: NodeInput): void {
    const core = n.core!;
    if (inp.kind === "tick") {
      core.tick();
      if (n.active && !n.tickQueued && this.rng.chance(1 / CONTROLLER_TICK_EVERY)) {
        n.tickQueued = true;
        n.queue.push({
          run: (c, nowMs) => ({ records: c.tick(nowMs), response: null }),
          reply: () => {
            n.tickQueued = false;
          },
        });
      }
    } else if (inp.kind === "msg") core.step(inp.msg);
    else n.enqueue(inp.call);
  }

  /** The runtime around the controller (controller-node.ts), then raft's Ready. */
  private afterStep(n: ControllerNode): void {
    n.runtimeStep(this.now);
    this.pump(n);
  }

  private pump(n: ControllerNode): void {
    const core = n.core!;
    if (n.persisting !== null || !core.hasReady()) return;
    const rd = core.ready();
    if (core.role === "leader" && this.earlySend) {
      const early = (m: Message): boolean => m.type === "app" || m.type === "heartbeat" || m.type === "snap";
      for (const m of rd.messages) if (early(m)) this.send(m);
      rd.messages = rd.messages.filter((m) => !early(m));
    }
    n.persisting = rd;
    this.schedule(this.rng.int(0, this.opts.maxDiskMs), { kind: "fsync", node: n.id, life: n.life });
  }

  private completeFsync(id: number, life: number): void {
    const n = this.nodes.get(id)!;
    if (n.life !== life || n.persisting === null) return;
    const rd = n.persisting;
    const core = n.core!;
    n.disk.write(rd);
    for (const m of rd.messages) this.send(m);
    this.apply(n, rd);
    core.advance(rd);
    this.maybeCompact(n);
    n.persisting = null;
    const inbox = n.inbox;
    n.inbox = [];
    for (const inp of inbox) this.stepInput(n, inp);
    this.afterStep(n);
  }

  private send(m: Message): void {
    if (!this.linkUp(m.from, m.to) || this.lossy()) return;
    this.schedule(this.netDelay(), { kind: "deliver", msg: m });
    if (this.chaos && this.rng.chance(this.opts.dupRate))
      this.schedule(this.netDelay() * 2, { kind: "deliver", msg: m });
  }

  private apply(n: ControllerNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      n.controller = controllerFromSnapshot(rd.snapshot, this.rng.fork().random);
      this.checkNodeImage(n, "snapshot");
      if (n.inFlight !== null && n.inFlight.index <= rd.snapshot.meta.index) n.refuseAll();
    }
    for (const e of rd.committedEntries) {
      const known = this.committed.get(e.index);
      if (known === undefined) {
        this.committed.set(e.index, { term: e.term, data: e.data, type: e.type });
        this.countKinds(entryRecords(e));
      } else if (known.term !== e.term)
        fail(`node ${n.id}: entry ${e.index} committed with terms ${known.term} and ${e.term}`);
      const controller = n.controller!;
      const prev = controller.image;
      controller.replay(entryRecords(e), e.index);
      this.stats.applied++;
      checkEpochs(prev, controller.image, `node ${n.id}`);
      this.checkNodeImage(n, "apply");
      n.complete(e.index, e.term);
    }
  }

  private countKinds(records: readonly MetadataRecord[]): void {
    for (const r of records) {
      let kind: string = r.type;
      if (r.type === "BrokerRegistrationChange") {
        kind = r.fenced === true ? "fence" : r.fenced === false ? "unfence" : "controlledShutdown";
      } else if (r.type === "PartitionChange") {
        kind = r.leader === undefined ? "isrChange" : r.leader === -1 ? "leaderLost" : "leaderElected";
      }
      this.recordKinds.set(kind, (this.recordKinds.get(kind) ?? 0) + 1);
    }
  }

  private checkNodeImage(n: ControllerNode, what: string): void {
    const image = n.controller!.image;
    checkImage(image, `node ${n.id} (${what})`);
    if (image.offset >= 0) this.history.check(image, `node ${n.id} (${what})`);
  }

  private maybeCompact(n: ControllerNode): void {
    const core = n.core!;
    const applied = core.log.applied;
    if (applied - core.log.snapshotIndex < this.opts.snapshotEvery) return;
    if (n.controller!.image.offset !== applied) return;
    n.disk.compact(core.compact(applied, snapshotData(n.controller!)));
    this.stats.snapshots++;
  }

  private checkLeaders(): void {
    for (const n of this.nodes.values()) {
      const core = n.core;
      if (core === null || core.role !== "leader") continue;
      const seen = this.leaders.get(core.term);
      if (seen === undefined) this.leaders.set(core.term, n.id);
      else if (seen !== n.id) fail(`two active controllers in term ${core.term}: ${seen} and ${n.id}`);
    }
  }

  /** Each node's disk (latest snapshot + tail) and the whole committed log rebuild the images seen live. */
  private finalChecks(): void {
    for (const n of this.nodes.values()) {
      if (n.controller === null) continue;
      const rebuilt = controllerFromSnapshot(n.disk.snapshot, () => 0);
      const upTo = n.controller.image.offset;
      for (const e of n.disk.entries) if (e.index <= upTo) rebuilt.replay(entryRecords(e), e.index);
      const diff = imageDiff(rebuilt.image, n.controller.image);
      if (diff !== null) fail(`node ${n.id}: snapshot + tail on disk does not rebuild its image at ${upTo}: ${diff}`);
    }
    const whole = new QuorumController({ clusterId: CLUSTER_ID, random: () => 0 });
    const last = Math.max(0, ...this.committed.keys());
    for (let i = 1; i <= last; i++) {
      const e = this.committed.get(i);
      if (e === undefined) fail(`committed entry ${i} never applied anywhere`);
      whole.replay(entryRecords({ index: i, term: e.term, type: e.type as "normal" | "noop", data: e.data }), i);
    }
    const diff = last > 0 ? imageDiff(whole.image, this.history.at(last)) : null;
    if (diff !== null)
      fail(`replaying the whole log (${last} entries) gives another image than the live nodes: ${diff}`);
    const active = [...this.nodes.values()].find((n) => n.active);
    if (active === undefined) fail("no active controller after the quiet period");
    const stuck = this.workload.checkLiveness(active.controller!.image, active.activatedAt, 600);
    if (stuck !== null) fail(`liveness at ${this.now}: ${stuck}`);
  }
}
