// Delayed fetch ("fetch purgatory"): a Fetch that has fewer than minBytes waits until appends to
// any of its partitions bring enough bytes, or maxWaitMs passes. Completed by appends, not polling.

export interface FetchWaiter {
  keys: string[];
  /** Bytes still missing before minBytes is reached. */
  neededBytes: number;
  /** The connection that sent the Fetch (its close completes the waiter). */
  connectionId: number;
  /** The maxWaitMs timer, cleared when the waiter completes early. */
  timer: ReturnType<typeof setTimeout> | undefined;
  complete(): void;
}

export class AppendWaiters {
  private readonly byKey = new Map<string, Set<FetchWaiter>>();
  private readonly all = new Set<FetchWaiter>();

  constructor(readonly maxWaiters: number) {}

  get size(): number {
    return this.all.size;
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
      this.keys.set(topic, (byPartition = []));
    }
    if (partition < 0 || partition >= 100_000) return AppendWaiters.key(topic, partition);
    return (byPartition[partition] ??= AppendWaiters.key(topic, partition));
  }

  /** Registers a waiter; false when the purgatory is full (the caller answers at once). */
  add(w: FetchWaiter): boolean {
    if (this.all.size >= this.maxWaiters) return false;
    this.all.add(w);
    for (const k of w.keys) {
      let set = this.byKey.get(k);
      if (set === undefined) this.byKey.set(k, (set = new Set()));
      set.add(w);
    }
    return true;
  }

  remove(w: FetchWaiter): void {
    if (!this.all.delete(w)) return;
    for (const k of w.keys) {
      const set = this.byKey.get(k);
      if (set?.delete(w) === true && set.size === 0) this.byKey.delete(k);
    }
  }

  /** Called after an append of `bytes` to (topic, partition). */
  notify(topic: string, partition: number, bytes: number): void {
    if (this.all.size === 0) return;
    const set = this.byKey.get(this.keyOf(topic, partition));
    if (set === undefined) return;
    // Deleting the entry being visited is safe in a Set iteration; complete() runs no code synchronously.
    for (const w of set) {
      w.neededBytes -= bytes;
      if (w.neededBytes <= 0) this.finish(w);
    }
  }

  private finish(w: FetchWaiter): void {
    this.remove(w);
    if (w.timer !== undefined) {
      clearTimeout(w.timer);
      w.timer = undefined;
    }
    w.complete();
  }

  /** Completes the waiters of a closed connection (their fetches answer nobody). */
  completeConnection(connectionId: number): void {
    if (this.all.size === 0) return;
    for (const w of [...this.all]) if (w.connectionId === connectionId) this.finish(w);
  }

  /** Completes every waiter (shutdown, topic deletion). */
  completeAll(): void {
    for (const w of [...this.all]) this.finish(w);
  }
}
