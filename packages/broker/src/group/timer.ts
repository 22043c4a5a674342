// A deterministic timer queue for the pure coordinator core. Nothing here reads a clock: the driver
// calls `poll(nowMs)` and gets the events whose deadline has passed, in deadline order (ties in
// scheduling order). Rescheduling a key replaces its previous deadline (lazy deletion in a binary
// heap; the heap is rebuilt when stale entries outnumber live ones, so its size stays bounded by
// ~2x the number of live timers).
import { assert } from "./errors.js";

interface Entry<E> {
  deadlineMs: number;
  seq: number;
  key: string;
  event: E;
}

export class TimerQueue<E> {
  private heap: Entry<E>[] = [];
  private live = new Map<string, number>(); // key -> seq of its live entry
  private nextSeq = 0;

  get size(): number {
    return this.live.size;
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  schedule(key: string, deadlineMs: number, event: E): void {
    assert(Number.isFinite(deadlineMs), "timer deadline must be finite");
    const seq = this.nextSeq++;
    this.live.set(key, seq);
    this.push({ deadlineMs, seq, key, event });
    if (this.heap.length > 2 * this.live.size + 64) this.compact();
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  /** Earliest live deadline, or undefined when nothing is scheduled. */
  nextDeadlineMs(): number | undefined {
    this.dropStaleTop();
    return this.heap[0]?.deadlineMs;
  }

  /** Removes and returns the events due at `nowMs`, earliest first. */
  poll(nowMs: number, max = Number.MAX_SAFE_INTEGER): E[] {
    const out: E[] = [];
    for (;;) {
      this.dropStaleTop();
      const top = this.heap[0];
      if (top === undefined || top.deadlineMs > nowMs || out.length >= max) return out;
      this.pop();
      this.live.delete(top.key);
      out.push(top.event);
    }
  }

  private dropStaleTop(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || this.live.get(top.key) === top.seq) return;
      this.pop();
    }
  }

  private compact(): void {
    const kept = this.heap.filter((e) => this.live.get(e.key) === e.seq);
    this.heap = [];
    for (const e of kept) this.push(e);
  }

  private less(a: Entry<E>, b: Entry<E>): boolean {
    return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq);
  }

  private push(e: Entry<E>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
