import { MinHeap } from "@gregor/protocol/util";

interface Scheduled<T> {
  time: number;
  seq: number;
  ev: T;
}

/**
 * The simulator's events ordered by (time, seq): equal times come out in push order, so a seed
 * replays the same run. (time, seq) is a total order, so the pop order does not depend on the
 * heap's internals.
 */
export class EventQueue<T> {
  private readonly heap = new MinHeap<Scheduled<T>>((x, y) => x.time < y.time || (x.time === y.time && x.seq < y.seq));
  private seq = 0;

  get size(): number {
    return this.heap.size;
  }

  push(time: number, ev: T): void {
    this.heap.push({ time, seq: this.seq++, ev });
  }

  pop(): { time: number; ev: T } | undefined {
    return this.heap.pop();
  }
}
