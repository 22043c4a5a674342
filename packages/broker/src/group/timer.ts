// A deterministic timer queue for the pure coordinator core. Nothing here reads a clock: the driver
// calls `poll(nowMs)` and gets the events whose deadline has passed, in deadline order (ties in
// scheduling order). Rescheduling a key replaces its previous deadline (lazy deletion in a binary
// heap; the heap is rebuilt when stale entries outnumber live ones, so its size stays bounded by
// ~2x the number of live timers).
import { MinHeap, assert } from "@gregor/protocol/util";

interface Entry<E> {
  deadlineMs: number;
  seq: number;
  key: string;
  event: E;
}

export class TimerQueue<E> {
  private readonly heap = new MinHeap<Entry<E>>(
    (a, b) => a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq),
  );
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
    this.heap.push({ deadlineMs, seq, key, event });
    if (this.heap.size > 2 * this.live.size + 64) this.heap.retain((e) => this.live.get(e.key) === e.seq);
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  /** Earliest live deadline, or undefined when nothing is scheduled. */
  nextDeadlineMs(): number | undefined {
    this.dropStaleTop();
    return this.heap.peek()?.deadlineMs;
  }

  /** Removes and returns the events due at `nowMs`, earliest first. */
  poll(nowMs: number, max = Number.MAX_SAFE_INTEGER): E[] {
    const out: E[] = [];
    for (;;) {
      this.dropStaleTop();
      const top = this.heap.peek();
      if (top === undefined || top.deadlineMs > nowMs || out.length >= max) return out;
      this.heap.pop();
      this.live.delete(top.key);
      out.push(top.event);
    }
  }

  private dropStaleTop(): void {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || this.live.get(top.key) === top.seq) return;
      this.heap.pop();
    }
  }
}
