// Launches raft nodes as separate OS processes (test/fixtures/node-process.ts) and talks to
// them over IPC. Used by the process test and the benchmark.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, "fixtures", "node-process.ts");
const repoRoot = resolve(here, "..", "..", "..");

export interface ClusterConfig {
  size: number;
  tickMs: number;
  electionTicks: number;
  jitterTicks: number;
  heartbeatTicks?: number;
  /** Give each node its own slice of the election-timeout range (no ties, no split votes). */
  stagger?: boolean;
  snapshotEntries: number;
  /** "file" (FileLogStore, default) or "storage" (StorageLogStore on @gregor/storage). */
  store?: "file" | "storage";
}

interface Msg {
  type: string;
  id: number;
  [k: string]: unknown;
}

export interface LeaderEvent {
  id: number;
  leaderId: number;
  term: number;
  at: number;
}

export class ProcessCluster {
  readonly procs = new Map<number, ChildProcess>();
  readonly ports = new Map<number, number>();
  readonly dirs = new Map<number, string>();
  readonly leaderEvents: LeaderEvent[] = [];
  readonly snapshotRestores: { id: number; index: number }[] = [];
  private listeners: ((m: Msg) => void)[] = [];
  private readonly root: string;

  constructor(readonly cfg: ClusterConfig) {
    this.root = mkdtempSync(join(tmpdir(), "raft-proc-"));
  }

  get ids(): number[] {
    return Array.from({ length: this.cfg.size }, (_, k) => k + 1);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.spawnNode(id)));
  }

  async spawnNode(id: number): Promise<void> {
    const dir = this.dirs.get(id) ?? join(this.root, `node-${id}`);
    this.dirs.set(id, dir);
    // RAFT_CHILD_NODE_ARGS: extra node flags for the children (e.g. --cpu-prof when profiling).
    const extra = (process.env.RAFT_CHILD_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    const child = spawn(process.execPath, [...extra, "--conditions=source", "--import", "tsx", script], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: {
        ...process.env,
        RAFT_ID: String(id),
        RAFT_DIR: dir,
        RAFT_VOTERS: this.ids.join(","),
        RAFT_TICK_MS: String(this.cfg.tickMs),
        RAFT_ELECTION_TICKS: String(this.cfg.electionTicks),
        RAFT_STORE: this.cfg.store ?? "file",
        RAFT_JITTER_TICKS: String(this.cfg.jitterTicks),
        RAFT_HEARTBEAT_TICKS: String(this.cfg.heartbeatTicks ?? 1),
        RAFT_STAGGER: this.cfg.stagger === true ? "1" : "0",
        RAFT_SNAPSHOT_ENTRIES: String(this.cfg.snapshotEntries),
      },
    });
    this.procs.set(id, child);
    child.on("message", (m: Msg) => {
      if (m.type === "leader") this.leaderEvents.push(m as unknown as LeaderEvent);
      if (m.type === "snapshotRestored") this.snapshotRestores.push({ id: m.id, index: m.index as number });
      for (const l of this.listeners) l(m);
    });
    child.on("exit", () => {
      if (this.procs.get(id) === child) this.procs.delete(id);
    });
    const listening = await this.next((m) => m.type === "listening" && m.id === id, 30_000);
    this.ports.set(id, listening.port as number);
    this.broadcastPeers();
  }

  broadcastPeers(): void {
    const peers = Object.fromEntries(this.ports);
    for (const p of this.procs.values()) p.send({ type: "peers", peers });
  }

  send(id: number, m: Record<string, unknown>): boolean {
    const p = this.procs.get(id);
    if (p === undefined || !p.connected) return false;
    p.send(m);
    return true;
  }

  /** The next IPC message matching `pred` (from any node). */
  next(pred: (m: Msg) => boolean, timeoutMs: number): Promise<Msg> {
    return new Promise((resolveP, reject) => {
      const l = (m: Msg): void => {
        if (!pred(m)) return;
        clearTimeout(t);
        this.listeners = this.listeners.filter((x) => x !== l);
        resolveP(m);
      };
      const t = setTimeout(() => {
        this.listeners = this.listeners.filter((x) => x !== l);
        reject(new Error("timed out waiting for a node"));
      }, timeoutMs);
      this.listeners.push(l);
    });
  }

  /** The live node that most recently announced itself leader (highest term). */
  leader(): number | undefined {
    let best: LeaderEvent | undefined;
    const latest = new Map<number, LeaderEvent>();
    for (const e of this.leaderEvents) latest.set(e.id, e);
    for (const e of latest.values()) {
      if (e.leaderId !== e.id || !this.procs.has(e.id)) continue;
      if (best === undefined || e.term > best.term) best = e;
    }
    return best?.id;
  }

  kill(id: number): void {
    this.procs.get(id)?.kill("SIGKILL");
    this.procs.delete(id);
  }

  async state(id: number, full: boolean): Promise<{ applied: number; count: number; ids: number[] }> {
    const reply = this.next((m) => m.type === "state" && m.id === id, 10_000);
    if (!this.send(id, { type: "state", full })) throw new Error(`node ${id} is not running`);
    const m = await reply;
    return { applied: m.applied as number, count: m.count as number, ids: m.ids as number[] };
  }

  async stopAll(): Promise<void> {
    const exits = [...this.procs.values()].map(
      (p) => new Promise<void>((r) => (p.exitCode !== null ? r() : p.once("exit", () => r()))),
    );
    for (const p of this.procs.values()) p.kill("SIGKILL");
    await Promise.all(exits);
    rmSync(this.root, { recursive: true, force: true });
  }
}
