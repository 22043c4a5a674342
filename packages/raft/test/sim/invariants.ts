// Raft safety properties (Raft paper Figure 3), checked by the simulator after every event.
import type { Entry, NodeId, RaftCore } from "../../src/index.js";

export class InvariantError extends Error {}

function sameEntry(a: Entry, b: Entry): boolean {
  if (a.term !== b.term || a.type !== b.type || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** The durable state of one node as the checker sees it. */
export interface DurableView {
  snapshotIndex: number;
  snapshotTerm: number;
  termAt(index: number): number | undefined;
}

export class Checker {
  /** Election safety: term -> leader. */
  private leaders = new Map<number, NodeId>();
  /** Log matching: "index:term" -> first entry seen there and the term before it. */
  private seen = new Map<string, { entry: Entry; prevTerm: number | undefined }>();
  /** Committed entries (state machine safety, committed-never-lost). */
  readonly committed: (Entry | undefined)[] = [];
  maxCommitted = 0;
  private wasLeader = new Map<NodeId, number>();

  fail(msg: string): never {
    throw new InvariantError(msg);
  }

  /** At most one leader per term (§5.2). */
  checkLeader(core: RaftCore): void {
    if (core.role !== "leader") {
      this.wasLeader.delete(core.id);
      return;
    }
    const l = this.leaders.get(core.term);
    if (l === undefined) this.leaders.set(core.term, core.id);
    else if (l !== core.id) this.fail(`election safety: term ${core.term} has leaders ${l} and ${core.id}`);
    if (this.wasLeader.get(core.id) !== core.term) {
      this.wasLeader.set(core.id, core.term);
      this.checkLeaderCompleteness(core);
    }
  }

  /** Leader completeness (§5.4): a new leader holds every entry committed so far. */
  private checkLeaderCompleteness(core: RaftCore): void {
    const log = core.log;
    for (let i = log.snapshotIndex + 1; i <= this.maxCommitted; i++) {
      const c = this.committed[i];
      if (c === undefined) continue;
      const e = log.entry(i);
      if (e === undefined || !sameEntry(e, c)) {
        this.fail(`leader completeness: leader ${core.id} term ${core.term} lacks committed ${c.term}/${i}`);
      }
    }
    if (log.snapshotIndex > 0 && log.snapshotIndex <= this.maxCommitted) {
      const c = this.committed[log.snapshotIndex];
      if (c !== undefined && c.term !== log.snapshotTerm)
        this.fail(`leader completeness: snapshot term mismatch at ${log.snapshotIndex}`);
    }
  }

  /** Log matching (§5.3): (index, term) determines the entry and the term before it. */
  checkPersisted(core: RaftCore, entries: Entry[]): void {
    for (const e of entries) {
      const prevTerm = core.log.term(e.index - 1);
      const key = `${e.index}:${e.term}`;
      const s = this.seen.get(key);
      if (s === undefined) {
        this.seen.set(key, { entry: e, prevTerm });
      } else {
        if (!sameEntry(s.entry, e)) this.fail(`log matching: two different entries at ${e.term}/${e.index}`);
        if (s.prevTerm !== undefined && prevTerm !== undefined && s.prevTerm !== prevTerm) {
          this.fail(`log matching: entry ${e.term}/${e.index} follows terms ${s.prevTerm} and ${prevTerm}`);
        }
      }
    }
  }

  /** State machine safety (§5.4.3): no two nodes commit/apply different entries at an index. */
  checkCommitted(node: NodeId, e: Entry): void {
    const c = this.committed[e.index];
    if (c === undefined) {
      this.committed[e.index] = e;
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
    } else if (!sameEntry(c, e)) {
      this.fail(`state machine safety: node ${node} has ${e.term}/${e.index}, committed was ${c.term}/${e.index}`);
    }
  }

  /** Committed entries are never lost: the highest committed entry is durable on a majority. */
  checkDurable(voters: NodeId[], durable: Map<NodeId, DurableView>): void {
    const i = this.maxCommitted;
    const c = this.committed[i];
    if (c === undefined) return;
    let n = 0;
    for (const id of voters) {
      const d = durable.get(id);
      if (d === undefined) continue;
      if (d.snapshotIndex >= i || d.termAt(i) === c.term) n++;
    }
    if (n < Math.floor(voters.length / 2) + 1)
      this.fail(`durability: committed ${c.term}/${i} is durable on only ${n} voters`);
  }
}
