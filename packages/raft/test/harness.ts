// A synchronous in-memory cluster for transcript tests: every Ready is persisted to a
// per-node "disk", messages go to a FIFO network that honours partitions.
import { RaftCore, type Entry, type HardState, type Message, type NodeId, type Snapshot } from "../src/index.js";
import { fmtEntry, fmtMessage } from "./format.js";

interface Disk {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

export interface ClusterOptions {
  voters: NodeId[];
  learners: NodeId[];
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxInflightMsgs?: number;
  maxMsgBytes?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class Harness {
  nodes = new Map<NodeId, RaftCore>();
  disks = new Map<NodeId, Disk>();
  applied = new Map<NodeId, string[]>();
  down = new Set<NodeId>();
  queue: Message[] = [];
  /** Partition: node -> group number; messages between different groups are dropped. */
  groups = new Map<NodeId, number>();
  /** Cut links "a-b" (both directions). */
  cuts = new Set<string>();

  constructor(readonly opts: ClusterOptions) {
    for (const id of [...opts.voters, ...opts.learners]) {
      this.disks.set(id, { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [] });
      this.start(id);
    }
  }

  start(id: NodeId): void {
    const disk = this.disks.get(id)!;
    const o = this.opts;
    const core = new RaftCore(
      {
        id,
        membership: { voters: o.voters, learners: o.learners },
        electionTicks: o.electionTicks,
        heartbeatTicks: o.heartbeatTicks,
        // Deterministic, distinct timeouts: node k waits electionTicks * (1 + (k-1)/n).
        random: () => (id - 1) / (o.voters.length + o.learners.length),
        preVote: o.preVote,
        checkQuorum: o.checkQuorum,
        ...(o.maxInflightMsgs !== undefined ? { maxInflightMsgs: o.maxInflightMsgs } : {}),
        ...(o.maxMsgBytes !== undefined ? { maxMsgBytes: o.maxMsgBytes } : {}),
      },
      { hardState: { ...disk.hardState }, snapshot: disk.snapshot, entries: [...disk.entries] },
    );
    this.nodes.set(id, core);
    const sm = disk.snapshot !== null ? (JSON.parse(dec.decode(disk.snapshot.data)) as string[]) : [];
    this.applied.set(id, sm);
    this.down.delete(id);
  }

  node(id: NodeId): RaftCore {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Process every node's Ready once; returns printed lines. */
  processReady(out: string[]): boolean {
    let any = false;
    for (const [id, n] of this.nodes) {
      if (this.down.has(id) || !n.hasReady()) continue;
      any = true;
      const rd = n.ready();
      const disk = this.disks.get(id)!;
      if (rd.hardState !== null) disk.hardState = rd.hardState;
      if (rd.snapshot !== null) {
        disk.snapshot = rd.snapshot;
        disk.entries = [];
        this.applied.set(id, JSON.parse(dec.decode(rd.snapshot.data)) as string[]);
        out.push(`${id} applied snapshot ${rd.snapshot.meta.term}/${rd.snapshot.meta.index}`);
      }
      if (rd.entries.length > 0) {
        const first = rd.entries[0]!.index;
        disk.entries = disk.entries.filter((e) => e.index < first).concat(rd.entries);
      }
      for (const e of rd.committedEntries) {
        if (e.type === "normal") this.applied.get(id)!.push(dec.decode(e.data));
      }
      for (const rs of rd.readStates) out.push(`${id} read-state ctx=${rs.context} index=${rs.index}`);
      this.queue.push(...rd.messages);
      n.advance(rd);
    }
    return any;
  }

  deliverAll(out: string[], verbose: boolean): boolean {
    const msgs = this.queue.splice(0);
    for (const m of msgs) {
      const dropped =
        this.down.has(m.to) ||
        (this.groups.get(m.from) ?? 0) !== (this.groups.get(m.to) ?? 0) ||
        this.cuts.has(`${m.from}-${m.to}`);
      if (verbose) out.push(`${fmtMessage(m)}${dropped ? " DROPPED" : ""}`);
      if (!dropped) this.node(m.to).step(m);
    }
    return msgs.length > 0;
  }

  stabilize(verbose: boolean): string[] {
    const out: string[] = [];
    for (let round = 0; round < 1000; round++) {
      const a = this.processReady(out);
      const b = this.deliverAll(out, verbose);
      if (!a && !b) return out;
    }
    throw new Error("stabilize did not converge");
  }

  status(): string[] {
    const lines: string[] = [];
    for (const [id, n] of this.nodes) {
      if (this.down.has(id)) {
        lines.push(`${id}: down`);
        continue;
      }
      const s = n.status();
      lines.push(
        `${id}: ${s.role} term=${s.term} vote=${s.vote} lead=${s.leaderId} commit=${s.commit} applied=${s.applied} last=${s.lastIndex}` +
          (s.snapshotIndex > 0 ? ` snap=${s.snapshotIndex}` : ""),
      );
    }
    return lines;
  }

  logOf(id: NodeId): string[] {
    const n = this.node(id);
    const lines = [`snapshot=${n.log.snapshotTerm}/${n.log.snapshotIndex}`];
    for (const e of n.log.entries) lines.push(fmtEntry(e));
    return lines;
  }

  compact(id: NodeId, index: number): void {
    const n = this.node(id);
    const applied = this.applied.get(id)!;
    // The transcript state machine is the list of applied strings; snapshot it at `index`.
    let count = 0;
    for (const e of n.log.entries) if (e.index <= index && e.type === "normal") count++;
    const before = n.log.snapshot !== null ? (JSON.parse(dec.decode(n.log.snapshot.data)) as string[]).length : 0;
    const snap = n.compact(index, enc.encode(JSON.stringify(applied.slice(0, before + count))));
    const disk = this.disks.get(id)!;
    disk.snapshot = snap;
    disk.entries = disk.entries.filter((e) => e.index > index);
  }

  propose(id: NodeId, data: string): string {
    const r = this.node(id).propose(enc.encode(data));
    return r.ok ? `ok index=${r.index} term=${r.term}` : `refused: ${r.reason} (leader ${r.leaderId})`;
  }
}
