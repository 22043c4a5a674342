// Simulated KV clients: one outstanding operation each, random timeouts, retries at other
// nodes with the same (client, seq) so the state machine deduplicates; the history of
// invocations and responses feeds the linearizability checker.
import type { NodeId } from "../../src/index.js";
import type { HistoryOp } from "./linearizability.js";
import type { KvOp } from "./kv.js";
import type { ClientRequest } from "./node.js";
import type { Simulation } from "./world.js";

export type ClientResponse = { ok: true; value: string } | { ok: false; leaderHint: NodeId };

const MAX_ATTEMPTS = 8;

interface ClientState {
  id: number;
  seq: number;
  attempt: number;
  target: NodeId;
  op: HistoryOp | null;
}

export class ClientDriver {
  readonly history: HistoryOp[] = [];
  private readonly clients: ClientState[] = [];
  completed = 0;

  constructor(
    private readonly sim: Simulation,
    count: number,
    private readonly keys: number,
  ) {
    for (let i = 1; i <= count; i++) {
      const c: ClientState = { id: i, seq: 0, attempt: 0, target: sim.rng.pick(sim.voters), op: null };
      this.clients.push(c);
      sim.schedule(sim.rng.int(0, 50), { kind: "client", run: () => this.next(c) });
    }
  }

  private stopAt(): number {
    return this.sim.opts.chaosMs + this.sim.opts.quietMs - 400;
  }

  private next(c: ClientState): void {
    const sim = this.sim;
    if (sim.now >= this.stopAt()) return;
    c.seq++;
    c.attempt = 0;
    const key = `k${sim.rng.int(1, this.keys)}`;
    const r = sim.rng.next();
    const kind = r < 0.4 ? "get" : r < 0.7 ? "put" : "append";
    const value = kind === "get" ? "" : `<${c.id}.${c.seq}>`;
    c.op = { client: c.id, call: sim.now, ret: Infinity, kind, key, value, output: "" };
    this.history.push(c.op);
    this.send(c);
  }

  private send(c: ClientState): void {
    const sim = this.sim;
    const op = c.op!;
    const kvOp: KvOp =
      op.kind === "get" ? { kind: "get", key: op.key } : { kind: op.kind, key: op.key, value: op.value };
    const req: ClientRequest = { client: c.id, seq: c.seq, attempt: c.attempt, op: kvOp };
    if (!sim.lossy()) sim.schedule(sim.netDelay(), { kind: "req", node: c.target, req });
    const seq = c.seq;
    const attempt = c.attempt;
    sim.schedule(sim.rng.int(30, 250), { kind: "client", run: () => this.timeout(c, seq, attempt) });
  }

  private timeout(c: ClientState, seq: number, attempt: number): void {
    if (c.seq !== seq || c.attempt !== attempt || c.op === null) return;
    this.retry(c, this.sim.rng.pick(this.sim.voters));
  }

  private retry(c: ClientState, target: NodeId): void {
    c.attempt++;
    c.target = target;
    if (c.attempt >= MAX_ATTEMPTS) {
      // Give up: a write stays "unknown" (ret = Infinity); a read had no effect, drop it.
      const op = c.op!;
      if (op.kind === "get") this.history.splice(this.history.indexOf(op), 1);
      c.op = null;
      this.sim.schedule(1, { kind: "client", run: () => this.next(c) });
      return;
    }
    this.sim.schedule(this.sim.rng.int(1, 10), {
      kind: "client",
      run: () => c.op !== null && c.seq === this.seqOf(c) && this.send(c),
    });
  }

  private seqOf(c: ClientState): number {
    return c.seq;
  }

  /** A node answers a request; the answer travels back over the (lossy) network. */
  respond(req: ClientRequest, resp: ClientResponse): void {
    const sim = this.sim;
    if (sim.lossy()) return;
    sim.schedule(sim.netDelay(), { kind: "client", run: () => this.receive(req, resp) });
  }

  private receive(req: ClientRequest, resp: ClientResponse): void {
    const c = this.clients[req.client - 1]!;
    if (c.op === null || c.seq !== req.seq) return; // stale answer to an op already finished
    if (!resp.ok) {
      if (req.attempt !== c.attempt) return;
      const hint = resp.leaderHint;
      this.retry(c, hint !== 0 && this.sim.voters.includes(hint) ? hint : this.sim.rng.pick(this.sim.voters));
      return;
    }
    const op = c.op;
    op.ret = this.sim.now;
    op.output = resp.value;
    c.op = null;
    this.completed++;
    this.sim.schedule(this.sim.rng.int(0, 20), { kind: "client", run: () => this.next(c) });
  }

  /** Every operation invoked after `t` (when the cluster is healthy) must have completed. */
  checkLiveness(t: number): void {
    for (const op of this.history) {
      if (op.call > t && op.ret === Infinity) {
        this.sim.checker.fail(
          `liveness: client ${op.client} ${op.kind} ${op.key} invoked at ${op.call} never completed`,
        );
      }
    }
  }
}
