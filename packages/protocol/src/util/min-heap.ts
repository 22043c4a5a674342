// A binary min-heap ordered by a caller's `less`. One home for the timer queues of the broker
// (fetch purgatory, group coordinator timers) and the raft simulator's event queue. Sifting moves
// a hole instead of swapping pairs and nothing is allocated per push or pop beyond the backing
// array's growth. `less` is read into a local before each sift so V8 can inline it at the call.

export class MinHeap<T> {
  private items: T[] = [];

  /** `less(a, b)` is true when `a` must come out before `b` (break ties in it for a set order). */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The least item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const h = this.items;
    const less = this.less;
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as T;
      if (!less(item, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = item;
  }

  /** Removes and returns the least item; undefined when empty. */
  pop(): T | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0] as T;
    const last = h.pop() as T;
    if (h.length > 0) this.siftDown(0, last);
    return top;
  }

  /** Drops every item. */
  clear(): void {
    this.items = [];
  }

  /** Keeps only the items `keep` accepts (lazy-deletion compaction), rebuilding the heap in O(n). */
  retain(keep: (item: T) => boolean): void {
    const h = this.items.filter(keep);
    this.items = h;
    for (let i = (h.length >> 1) - 1; i >= 0; i--) this.siftDown(i, h[i] as T);
  }

  /** Places `item` at hole `i` or below it, moving lesser children up. */
  private siftDown(i: number, item: T): void {
    const h = this.items;
    const less = this.less;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = h[l] as T;
      if (r < n) {
        const right = h[r] as T;
        if (less(right, child)) {
          c = r;
          child = right;
        }
      }
      if (!less(child, item)) break;
      h[i] = child;
      i = c;
    }
    h[i] = item;
  }
}
