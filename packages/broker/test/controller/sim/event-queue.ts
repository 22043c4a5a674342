// Binary min-heap of events ordered by (time, insertion order): equal times pop in the order they
// were pushed, so a run is a pure function of its seed.
interface Item<T> {
  time: number;
  seq: number;
  ev: T;
}

const before = <T>(a: Item<T>, b: Item<T>): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

export class EventQueue<T> {
  private readonly heap: Item<T>[] = [];
  private seq = 0;

  push(time: number, ev: T): void {
    const h = this.heap;
    h.push({ time, seq: this.seq++, ev });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(h[parent]!, h[i]!)) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  pop(): { time: number; ev: T } | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (l + 1 < h.length && before(h[l + 1]!, h[m]!)) m = l + 1;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
