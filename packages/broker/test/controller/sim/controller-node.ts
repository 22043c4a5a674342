// One simulated controller: a RaftCore, a disk holding only what was "fsynced", and the
// QuorumController with the runtime's contract around it — operations run one at a time on the
// active controller (the raft leader once it has applied its own term's first entry), their
// records are proposed as one entry, and the caller is answered once that entry is applied.
import type { Prng } from "@gregor/testkit";
import { type Entry, type HardState, RaftCore, type RaftConfig, type Ready, type Snapshot } from "@gregor/raft";
import {
  type ControllerResult,
  type MetadataRecord,
  QuorumController,
  decodeRecordBatch,
  encodeRecordBatch,
  imageFromSnapshot,
  imageToRecords,
} from "../../../src/controller/index.js";

export const SESSION_TIMEOUT_MS = 1_000;
export const CLUSTER_ID = "sim-cluster";
const QUEUE_LIMIT = 256;

export class SimDisk {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  get snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  write(rd: Ready): void {
    if (rd.hardState !== null) this.hardState = rd.hardState;
    if (rd.snapshot !== null) {
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    const first = rd.entries[0];
    if (first === undefined) return;
    const keep = first.index - this.snapshotIndex - 1;
    if (keep < this.entries.length) this.entries.length = Math.max(0, keep);
    for (const e of rd.entries) if (e.index > this.snapshotIndex) this.entries.push(e);
  }

  compact(snap: Snapshot): void {
    this.entries = this.entries.slice(Math.max(0, snap.meta.index - this.snapshotIndex));
    this.snapshot = snap;
  }
}

export type CallReply = { ok: true; response: unknown; offset: number } | { ok: false; leaderHint: number };

export interface Call {
  run: (controller: QuorumController, nowMs: number) => ControllerResult<unknown>;
  /** null for the runtime's own calls (tick). */
  reply: ((r: CallReply) => void) | null;
}

export type NodeInput =
  | { kind: "tick" }
  | { kind: "msg"; msg: import("@gregor/raft").Message }
  | { kind: "call"; call: Call };

/** A snapshot is the image as records; its offset is the snapshot index. */
export function controllerFromSnapshot(snapshot: Snapshot | null, random: () => number): QuorumController {
  const controller = new QuorumController({
    clusterId: CLUSTER_ID,
    brokerSessionTimeoutMs: SESSION_TIMEOUT_MS,
    random,
    numPartitions: 2,
    defaultReplicationFactor: 2,
  });
  if (snapshot !== null) controller.loadImage(imageFromSnapshot(decodeRecordBatch(snapshot.data), snapshot.meta.index));
  return controller;
}

export function snapshotData(controller: QuorumController): Uint8Array {
  return encodeRecordBatch(imageToRecords(controller.image));
}

/** The records of a committed entry: raft's own no-op entries carry none but still advance the offset. */
export function entryRecords(e: Entry): MetadataRecord[] {
  return e.type === "normal" ? decodeRecordBatch(e.data) : [];
}

export class ControllerNode {
  core: RaftCore | null = null;
  controller: QuorumController | null = null;
  readonly disk = new SimDisk();
  life = 0;
  persisting: Ready | null = null;
  inbox: NodeInput[] = [];
  queue: Call[] = [];
  inFlight: { index: number; term: number; call: Call; response: unknown } | null = null;
  /** The term this node activated its controller in (-1: not active). */
  activeTerm = -1;
  /** When this node last became the active controller. */
  activatedAt = -1;
  /** Calls answered successfully (survives crashes: a statistic of the run). */
  answered = 0;
  tickQueued = false;

  constructor(
    readonly id: number,
    private readonly cfg: RaftConfig,
    private readonly rng: Prng,
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
    this.controller = controllerFromSnapshot(d.snapshot, this.rng.fork().random);
    this.activeTerm = -1;
  }

  crash(): void {
    this.core = null;
    this.controller = null;
    this.life++;
    this.persisting = null;
    this.inbox = [];
    this.queue = [];
    this.inFlight = null;
    this.tickQueued = false;
  }

  /** Leader whose own term's first entry is applied: its image reflects every committed entry. */
  get active(): boolean {
    const core = this.core;
    if (core === null || core.role !== "leader" || this.controller === null) return false;
    const offset = this.controller.image.offset;
    return offset > 0 && core.log.term(offset) === core.term;
  }

  /** Refuses every waiting call (this node is not, or no longer, the active controller). */
  refuseAll(): void {
    const hint = this.core?.lead ?? 0;
    const calls = this.inFlight ? [this.inFlight.call, ...this.queue] : this.queue;
    this.inFlight = null;
    this.queue = [];
    this.tickQueued = false;
    for (const c of calls) c.reply?.({ ok: false, leaderHint: hint });
  }

  enqueue(call: Call): void {
    if (!this.active || this.queue.length >= QUEUE_LIMIT) {
      call.reply?.({ ok: false, leaderHint: this.core?.lead ?? 0 });
      return;
    }
    this.queue.push(call);
  }

  /** Steps down, or activates (fresh sessions, bootstrap records), then runs calls until one is in flight. */
  runtimeStep(nowMs: number): void {
    const core = this.core!;
    if (core.role !== "leader") {
      if (this.queue.length > 0 || this.inFlight !== null) this.refuseAll();
      this.activeTerm = -1;
    } else if (this.active && this.activeTerm !== core.term) {
      this.activeTerm = core.term;
      this.activatedAt = nowMs;
      this.refuseAll();
      this.controller!.activate(nowMs);
      const bootstrap = this.controller!.bootstrap(CLUSTER_ID, new Map([["metadata.version", 25]]));
      if (bootstrap.length > 0)
        this.queue.unshift({ run: () => ({ records: bootstrap, response: null }), reply: null });
    }
    this.runNext(nowMs);
  }

  /** One operation at a time: run it, propose its records, and wait for them before the next. */
  private runNext(nowMs: number): void {
    const core = this.core!;
    while (this.active && this.inFlight === null && this.persisting === null) {
      const call = this.queue.shift();
      if (call === undefined) return;
      const result = call.run(this.controller!, nowMs);
      if (result.records.length === 0) {
        this.answered++;
        call.reply?.({ ok: true, response: result.response, offset: this.controller!.image.offset });
        continue;
      }
      const proposed = core.propose(encodeRecordBatch(result.records));
      if (!proposed.ok) {
        call.reply?.({ ok: false, leaderHint: proposed.leaderId });
        continue;
      }
      this.inFlight = { index: proposed.index, term: proposed.term, call, response: result.response };
    }
  }

  /** The entry at `index` was applied: answer the call whose records it carried (or refuse, if replaced). */
  complete(index: number, term: number): void {
    const inFlight = this.inFlight;
    if (inFlight === null || inFlight.index !== index) return;
    this.inFlight = null;
    if (inFlight.term !== term) {
      inFlight.call.reply?.({ ok: false, leaderHint: this.core?.lead ?? 0 });
      return;
    }
    // A registration's epoch is the offset of the entry that carried it (KIP-631).
    const response = inFlight.response as { errorCode?: number; brokerEpoch?: number } | null;
    if (response?.errorCode === 0 && response.brokerEpoch === -1) response.brokerEpoch = index;
    this.answered++;
    inFlight.call.reply?.({ ok: true, response: inFlight.response, offset: index });
  }
}
