// One simulated server: a RaftCore, a disk that only holds what was "fsynced", the KV state
// machine, and the client requests it is serving.
import {
  RaftCore,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftConfig,
  type Ready,
  type Snapshot,
} from "../../src/index.js";
import type { DurableView } from "./invariants.js";
import { Kv, type KvOp } from "./kv.js";

export interface ClientRequest {
  client: number;
  seq: number;
  attempt: number;
  op: KvOp;
}

export type NodeInput = { kind: "tick" } | { kind: "msg"; msg: Message } | { kind: "req"; req: ClientRequest };

export class SimDisk implements DurableView {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  get snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  get snapshotTerm(): number {
    return this.snapshot?.meta.term ?? 0;
  }

  termAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  /** Make a Ready durable (the simulated fsync completed). */
  write(rd: Ready): void {
    if (rd.hardState !== null) this.hardState = rd.hardState;
    if (rd.snapshot !== null) {
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      const keep = first.index - this.snapshotIndex - 1;
      if (keep < this.entries.length) this.entries.length = Math.max(0, keep);
      for (const e of rd.entries) if (e.index > this.snapshotIndex) this.entries.push(e);
    }
  }

  compact(snap: Snapshot): void {
    const drop = snap.meta.index - this.snapshotIndex;
    this.entries = this.entries.slice(Math.max(0, drop));
    this.snapshot = snap;
  }
}

export const INBOX_LIMIT = 10_000;

export class SimNode {
  core: RaftCore | null = null;
  readonly disk = new SimDisk();
  kv = new Kv();
  appliedIndex = 0;
  /** Incarnation: bumped on crash so in-flight fsyncs of the dead process are ignored. */
  life = 0;
  persisting: Ready | null = null;
  inbox: NodeInput[] = [];
  pendingWrites = new Map<string, ClientRequest>();
  pendingReads = new Map<string, ClientRequest>();
  readWaiters: { index: number; req: ClientRequest }[] = [];
  commitChecked = 0;
  readCounter = 0;

  constructor(
    readonly id: NodeId,
    private readonly cfg: RaftConfig,
  ) {}

  get up(): boolean {
    return this.core !== null;
  }

  start(): void {
    const d = this.disk;
    this.core = new RaftCore(this.cfg, {
      hardState: { ...d.hardState },
      snapshot: d.snapshot,
      entries: [...d.entries],
    });
    this.kv = d.snapshot !== null ? Kv.restore(d.snapshot.data) : new Kv();
    this.appliedIndex = d.snapshotIndex;
    this.commitChecked = d.snapshotIndex;
  }

  crash(): void {
    this.core = null;
    this.life++;
    this.persisting = null;
    this.inbox = [];
    this.pendingWrites.clear();
    this.pendingReads.clear();
    this.readWaiters = [];
  }
}
