// Delayed fetch ("fetch purgatory"): a Fetch that has fewer than minBytes waits until appends to
// any of its partitions bring enough bytes, or maxWaitMs passes. Completed by appends, not polling.
//
// Deadlines share one timer: waiters sit in a min-heap by deadline and the timer is armed for the
// earliest. A waiter completed early stays in the heap, marked done, until its deadline comes up
// (or the heap is compacted), so a tailing consumer's fetch costs no setTimeout/clearTimeout pair.
import { MinHeap } from "@gregor/protocol/util";

export interface FetchWaiter {
  keys: string[];
  /** Bytes still missing before minBytes is reached. */
  neededBytes: number;
  /** The connection that sent the Fetch (its close completes the waiter). */
  connectionId: number;
  complete(): void;
}

interface Entry {
  waiter: FetchWaiter;
  deadline: number;
  done: boolean;
}

/** Deadline entries allowed beyond twice the live ones before the heap is rebuilt without them. */
const STALE_SLACK = 1024;

export class AppendWaiters {
  private readonly byKey = new Map<string, Set<Entry>>();
  private readonly live = new Map<FetchWaiter, Entry>();
  private readonly heap = new MinHeap<Entry>((a, b) => a.deadline < b.deadline);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Infinity;

  constructor(
    readonly maxWaiters: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.live.size;
  }

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** Interned keys: a fetch or an append looks its key up instead of building a string. */
  private readonly keys = new Map<string, string[]>();

  /** AppendWaiters.key(topic, partition), interned (bounded by the partitions that exist). */
  keyOf(topic: string, partition: number): string {
    let byPartition = this.keys.get(topic);
    if (byPartition === undefined) {
      if (this.keys.size >= 100_000) this.keys.clear();
      byPartition = [];
      this.keys.set(topic, byPartition);
    }
    if (partition < 0 || partition >= 100_000) return AppendWaiters.key(topic, partition);
    const interned = byPartition[partition];
    if (interned !== undefined) return interned;
    const key = AppendWaiters.key(topic, partition);
    byPartition[partition] = key;
    return key;
  }

  /**
   * Registers a waiter, completed by appends or after `maxWaitMs`; false when the purgatory is
   * full (the caller answers at once).
   */
  add(w: FetchWaiter, maxWaitMs: number): boolean {
    if (this.live.size >= this.maxWaiters) return false;
    const entry: Entry = { waiter: w, deadline: this.now() + maxWaitMs, done: false };
    this.live.set(w, entry);
    for (const k of w.keys) {
      let set = this.byKey.get(k);
      if (set === undefined) {
        set = new Set();
        this.byKey.set(k, set);
      }
      set.add(entry);
    }
    this.heap.push(entry);
    if (entry.deadline < this.armedFor) this.arm();
    return true;
  }

  /** Interned keys of followers' fetches (woken by leader appends, not by HW moves). */
  private readonly replicaKeys = new Map<string, string[]>();

  /** The key a follower's fetch of (topic, partition) waits on, interned like keyOf. */
  replicaKeyOf(topic: string, partition: number): string {
    let byPartition = this.replicaKeys.get(topic);
    if (byPartition === undefined) {
      if (this.replicaKeys.size >= 100_000) this.replicaKeys.clear();
      byPartition = [];
      this.replicaKeys.set(topic, byPartition);
    }
    const key = byPartition[partition] ?? `${AppendWaiters.key(topic, partition)}\u0000replica`;
    if (partition >= 0 && partition < 100_000) byPartition[partition] = key;
    return key;
  }

  /** Called after a leader append of `bytes` to a replicated partition: wakes followers' fetches. */
  notifyReplicas(topic: string, partition: number, bytes: number): void {
    if (this.live.size === 0) return;
    this.notifyKey(this.replicaKeyOf(topic, partition), bytes);
  }

  /**
   * Called when (topic, partition) has `bytes` more for consumers: after an append of a
   * single-replica partition, after a HW move (replication) of a replicated one.
   */
  notify(topic: string, partition: number, bytes: number): void {
    if (this.live.size === 0) return;
    this.notifyKey(this.keyOf(topic, partition), bytes);
  }

  private notifyKey(key: string, bytes: number): void {
    const set = this.byKey.get(key);
    if (set === undefined || set.size === 0) return;
    // Deleting the entry being visited is safe in a Set iteration; complete() runs no code synchronously.
    for (const e of set) {
      e.waiter.neededBytes -= bytes;
      if (e.waiter.neededBytes <= 0) this.finish(e);
    }
  }

  /** Completes the waiters of a closed connection (their fetches answer nobody). */
  completeConnection(connectionId: number): void {
    if (this.live.size === 0) return;
    for (const e of [...this.live.values()]) if (e.waiter.connectionId === connectionId) this.finish(e);
  }

  /** Completes every waiter (shutdown, topic deletion). */
  completeAll(): void {
    for (const e of [...this.live.values()]) this.finish(e);
    this.heap.clear();
    this.disarm();
  }

  private finish(e: Entry): void {
    if (e.done) return;
    e.done = true;
    this.live.delete(e.waiter);
    // The per-partition sets stay (bounded by the partitions fetched); emptied, they cost nothing.
    for (const k of e.waiter.keys) this.byKey.get(k)?.delete(e);
    if (this.live.size === 0) {
      this.heap.clear();
      this.disarm();
    } else if (this.heap.size > 2 * this.live.size + STALE_SLACK) {
      this.heap.retain((entry) => !entry.done);
    }
    e.waiter.complete();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    for (let top = this.heap.peek(); top !== undefined && top.deadline <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (!top.done) this.finish(top);
    }
    if (this.heap.size > 0) this.arm();
  };

  private arm(): void {
    this.disarm();
    let top = this.heap.peek();
    while (top?.done) {
      this.heap.pop();
      top = this.heap.peek();
    }
    if (top === undefined) return;
    const deadline = top.deadline;
    this.armedFor = deadline;
    // Node timers have 1 ms resolution: round up so an expiry never lands before the deadline.
    this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(deadline - this.now())));
    this.timer.unref(); // waiting fetches alone do not keep the process alive
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }
}
