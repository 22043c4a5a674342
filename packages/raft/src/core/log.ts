import { assert } from "@gregor/protocol/util";
import type { Entry, Snapshot } from "./types.js";

/**
 * The in-memory raft log: a compacted prefix described by (snapshotIndex, snapshotTerm), then
 * `entries` for snapshotIndex+1 .. lastIndex. `stabledIndex` is how far the driver has made
 * the log durable; entries after it are "unstable" and handed out in Ready.entries.
 */
export class RaftLog {
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** The latest snapshot known locally (for sending to lagging followers). */
  snapshot: Snapshot | null = null;
  /** A snapshot received from the leader, not yet persisted/applied by the driver. */
  pendingSnapshot: Snapshot | null = null;
  entries: Entry[] = [];
  committed = 0;
  applied = 0;
  stabledIndex = 0;

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term of the entry at `index`, or undefined if compacted away or beyond the log. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries in [lo, hi), at most maxBytes of data (always at least one entry). */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    assert(lo > this.snapshotIndex, `slice ${lo} below first index ${this.firstIndex()}`);
    assert(hi <= this.lastIndex() + 1, `slice ${hi} beyond last index ${this.lastIndex()}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entries[i - this.snapshotIndex - 1]!;
      bytes += e.data.length + 16;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** §5.4.1 "up-to-date": compare last term, then last index. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Append at the tail, replacing any conflicting suffix from ents[0].index on. */
  append(ents: Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0]!.index;
    assert(first > this.committed, `append at ${first} would overwrite committed ${this.committed}`);
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    this.entries.length = first - this.snapshotIndex - 1;
    for (const e of ents) this.entries.push(e);
    if (this.stabledIndex >= first) this.stabledIndex = first - 1;
  }

  /**
   * The follower side of AppendEntries (§5.3): if our log has (index, logTerm), append the
   * entries not already present (truncating at the first conflict) and return the last new
   * index; otherwise return undefined.
   */
  maybeAppend(index: number, logTerm: number, commit: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    let k = 0;
    while (k < ents.length) {
      const e = ents[k]!;
      if (e.index <= this.snapshotIndex) {
        k++;
        continue;
      }
      if (this.term(e.index) !== e.term) break;
      k++;
    }
    if (k < ents.length) this.append(ents.slice(k));
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /**
   * The largest index <= `index` whose term is <= `term` (etcd-raft's findConflictByTerm),
   * used to skip whole terms when a follower rejects an append.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.snapshotIndex; i--) {
      const t = this.term(i)!;
      if (t <= term) return { index: i, term: t };
    }
    return { index: this.snapshotIndex, term: this.snapshotTerm };
  }

  /** Replace the whole log with a snapshot from the leader (§7). */
  restore(snap: Snapshot): void {
    this.snapshotIndex = snap.meta.index;
    this.snapshotTerm = snap.meta.term;
    this.entries = [];
    this.committed = snap.meta.index;
    this.stabledIndex = snap.meta.index;
    this.snapshot = snap;
    this.pendingSnapshot = snap;
  }

  /** Drop entries up to `index` after the state machine snapshotted at `index` (§7). */
  compact(snap: Snapshot): void {
    const index = snap.meta.index;
    assert(index <= this.applied, `compact ${index} beyond applied ${this.applied}`);
    if (index <= this.snapshotIndex) return;
    const t = this.term(index);
    assert(t === snap.meta.term, `compact at ${index}: term ${snap.meta.term} != ${String(t)}`);
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = snap.meta.term;
    this.snapshot = snap;
    // A leader may apply (and so snapshot) entries a quorum holds before its own fsync finished
    // (thesis §10.2.1); the snapshot now stands for them, so they are no longer "unstable".
    if (this.stabledIndex < index) this.stabledIndex = index;
  }

  unstableEntries(): Entry[] {
    if (this.stabledIndex >= this.lastIndex()) return [];
    return this.entries.slice(Math.max(0, this.stabledIndex - this.snapshotIndex));
  }

  /** Committed entries not yet applied, at most maxBytes (always at least one). */
  nextCommitted(maxBytes: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = Math.min(this.committed, this.lastIndex());
    if (lo > hi) return [];
    return this.slice(lo, hi + 1, maxBytes);
  }

  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index > this.stabledIndex) this.stabledIndex = index;
  }
}
