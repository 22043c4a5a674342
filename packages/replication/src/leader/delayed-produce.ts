// Delayed produce (Kafka's DelayedProduce purgatory, one queue per led partition): an acks=all
// produce waits here after the leader's append until the high watermark passes its last offset,
// its request timeout passes, or leadership is lost. Completed by HW moves, never by polling.
// Pure: the glue passes nowMs to expire() from its timer.
import { ErrorCode } from "@gregor/protocol";
import { MinHeap } from "@gregor/protocol/util";

export interface DelayedProduce {
  /** The HW at which the produce is committed: its last offset + 1. */
  readonly requiredOffset: number;
  readonly deadlineMs: number;
  /** Called once with Kafka's error code (NONE when committed). */
  complete(errorCode: number): void;
}

interface Entry {
  produce: DelayedProduce;
  done: boolean;
}

export class DelayedProduceQueue {
  private readonly byOffset = new MinHeap<Entry>((a, b) => a.produce.requiredOffset < b.produce.requiredOffset);
  private readonly byDeadline = new MinHeap<Entry>((a, b) => a.produce.deadlineMs < b.produce.deadlineMs);
  private live = 0;

  /** At most maxEntries produces wait; more are refused (the caller answers at once). */
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.live;
  }

  /** The earliest deadline of a waiting produce (Infinity when none): the glue's next timer. */
  get nextDeadlineMs(): number {
    this.dropDone(this.byDeadline);
    return this.byDeadline.peek()?.produce.deadlineMs ?? Number.POSITIVE_INFINITY;
  }

  /** Queues a produce; false when the queue is full. */
  add(produce: DelayedProduce): boolean {
    if (this.live >= this.maxEntries) return false;
    const entry: Entry = { produce, done: false };
    this.byOffset.push(entry);
    this.byDeadline.push(entry);
    this.live++;
    return true;
  }

  /**
   * The HW moved to `highWatermark`: completes every produce it passed. Kafka's
   * checkEnoughReplicasReachOffset: committed, but with fewer in-sync replicas than
   * min.insync.replicas the answer is NOT_ENOUGH_REPLICAS_AFTER_APPEND (the records stay).
   */
  onHighWatermark(highWatermark: number, isrSize: number, minInsyncReplicas: number): number {
    const errorCode = isrSize >= minInsyncReplicas ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
    let completed = 0;
    for (let top = this.byOffset.peek(); top !== undefined; top = this.byOffset.peek()) {
      if (!top.done && top.produce.requiredOffset > highWatermark) break;
      this.byOffset.pop();
      if (this.finish(top, errorCode)) completed++;
    }
    return completed;
  }

  /** Times out every produce whose deadline is at or before nowMs (REQUEST_TIMED_OUT). */
  expire(nowMs: number): number {
    let expired = 0;
    for (let top = this.byDeadline.peek(); top !== undefined; top = this.byDeadline.peek()) {
      if (!top.done && top.produce.deadlineMs > nowMs) break;
      this.byDeadline.pop();
      if (this.finish(top, ErrorCode.REQUEST_TIMED_OUT)) expired++;
    }
    return expired;
  }

  /** Fails every waiting produce with `errorCode` (leadership lost: NOT_LEADER_OR_FOLLOWER). */
  failAll(errorCode: number): void {
    for (let top = this.byOffset.pop(); top !== undefined; top = this.byOffset.pop()) this.finish(top, errorCode);
    this.byDeadline.clear();
  }

  private finish(entry: Entry, errorCode: number): boolean {
    if (entry.done) return false;
    entry.done = true;
    this.live--;
    entry.produce.complete(errorCode);
    return true;
  }

  private dropDone(heap: MinHeap<Entry>): void {
    for (let top = heap.peek(); top?.done === true; top = heap.peek()) heap.pop();
  }
}
