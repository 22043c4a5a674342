// The append pipeline of a partition log (group commit). Log validates and offset-stamps appends
// synchronously (so offsets follow call order) and pushes them here; they are written in groups
// (everything queued meanwhile, one writev per group), committed, acknowledged and announced in
// order. Every other operation of the log runs through serial(), which first writes everything
// queued: it always sees a log with no append half-written.
import { LogClosedError } from "../errors.js";
import { AppendQueue, type AppendOutcome, type PendingAppend } from "./append-queue.js";
import type { BatchMeta } from "./batch.js";
import type { AppendTarget } from "./append-target.js";
import { SYNC_WRITE_MAX_BYTES, type LogSegment } from "./segment.js";

/** A write started before its append's CRCs were checked (see GroupWriter.startUnchecked). */
export interface UncheckedWrite {
  commit(metas: BatchMeta[], result: AppendOutcome): Promise<AppendOutcome>;
  abandon(): void;
}

/** Append groups being written at once (each at its own file position; see drainPending). */
const WRITES_IN_FLIGHT = 2;

const RESOLVED = Promise.resolve();

export class GroupWriter {
  private readonly target: AppendTarget;
  private readonly queue: AppendQueue;
  private drainScheduled = false;
  /** serial() operations queued or running (the inline write path waits for none). */
  private pendingOps = 0;
  /** Written groups awaiting acknowledgement (see acknowledge). */
  private acks: PendingAppend[][] = [];
  private ackScheduled = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(target: AppendTarget, maxQueuedBytes: number) {
    this.target = target;
    this.queue = new AppendQueue(maxQueuedBytes);
  }

  /** Changes the bound of the queue (max.queued.append.bytes). */
  resizeQueue(maxQueuedBytes: number): void {
    this.queue.resize(maxQueuedBytes);
  }

  /** Undefined when the queue has room now; otherwise a promise resolved (in FIFO order) when it has. */
  waitForRoom(): Promise<void> | undefined {
    return this.queue.waitForRoom();
  }

  /**
   * Queues an append (offsets final, `buf` no longer changing) and resolves with `result` once it
   * is written, committed and flushed per the flush policy; rejects with LogClosedError when a
   * write fails.
   */
  push(buf: Buffer, metas: BatchMeta[], result: AppendOutcome): Promise<AppendOutcome> {
    if (!this.drainScheduled && this.queue.isEmpty) {
      const written = this.writeAlone(buf, metas, result);
      if (written !== undefined) return written;
    }
    const done = this.queue.push(buf, metas, result);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      void RESOLVED.then(this.drainTask); // lighter than queueMicrotask (no async-context wrapper)
    }
    return done;
  }

  /**
   * A lone small append (nothing queued, pending or unacknowledged; no roll or flush due) is
   * written right away, synchronously, and answered with a settled promise: a tailing producer's
   * request costs no queue entry, deferred promise or microtask hop. Undefined when the append
   * must take the queue. Listeners hear of it in a microtask (never inside append()).
   */
  private writeAlone(buf: Buffer, metas: BatchMeta[], result: AppendOutcome): Promise<AppendOutcome> | undefined {
    const target = this.target;
    if (!this.inlineAllowed(buf.length)) return undefined;
    const now = target.clock();
    if (
      target.local.shouldRoll(
        { lastOffset: result.lastOffset, bytes: buf.length, maxTimestamp: result.maxTimestamp },
        0,
        now,
      )
    )
      return undefined;
    const end = result.lastOffset + 1;
    if (target.flushPolicy.due(end, now)) return undefined;
    const segment = target.local.active;
    const error = this.writeNowOrFail(segment, [buf], buf.length);
    if (error !== undefined) return Promise.reject(error);
    segment.commitBatches(metas, buf.length, now);
    target.state.logEndOffset = end;
    target.flushPolicy.scheduleTimer();
    if (!this.announceScheduled) {
      this.announceScheduled = true;
      void RESOLVED.then(this.announceTask);
    }
    return Promise.resolve(result);
  }

  private announceScheduled = false;

  /**
   * A lone large append (writer idle, no roll or flush due) starts its write before its CRCs are
   * checked, so the caller checks them on the event loop while the thread pool writes; then calls
   * exactly one of `commit` (resolves like any append once written, committed and announced) or
   * `abandon` (a CRC failed: the written bytes are cut off the segment before anything else is
   * written). Meanwhile every other write and operation waits. Undefined when the writer cannot
   * take it now.
   */
  startUnchecked(buf: Buffer, lastOffset: number, maxTimestamp: number): UncheckedWrite | undefined {
    const target = this.target;
    if (this.drainScheduled || !this.queue.isEmpty || !this.inlineAllowed(0)) return undefined;
    const now = target.clock();
    if (
      target.local.shouldRoll({ lastOffset, bytes: buf.length, maxTimestamp }, 0, now) ||
      target.flushPolicy.due(lastOffset + 1, now)
    )
      return undefined;
    const segment = target.local.active;
    const written = segment.write([buf], buf.length);
    // Counted as an operation: the inline paths stay off and queued appends take the serial
    // chain, which runs after this write is committed or abandoned.
    this.pendingOps++;
    const settle = <T>(p: Promise<T>): Promise<T> => {
      const done = p.finally(() => this.pendingOps--);
      this.chain = done.catch(() => {});
      return done;
    };
    const failed = (e: unknown): never => {
      throw this.writeFailed(e);
    };
    return {
      commit: (metas, result) =>
        settle(
          written.then(() => {
            segment.commitBatches(metas, buf.length, now);
            target.state.logEndOffset = result.lastOffset + 1;
            target.flushPolicy.scheduleTimer();
            target.appended(result.lastOffset + 1);
            return result;
          }, failed),
        ),
      abandon: () => {
        void settle(written.then(() => segment.abandonWrite(buf.length)).catch(failed)).catch(() => {});
      },
    };
  }

  private readonly announceTask = (): void => {
    this.announceScheduled = false;
    this.target.appended(this.target.state.logEndOffset);
  };

  /** Runs `fn` after every earlier operation, with all queued appends written first. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    this.pendingOps++;
    const run = this.chain.then(async () => {
      try {
        await this.drainPending();
        return await fn();
      } finally {
        this.pendingOps--;
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Runs once per burst of appends (a microtask after the first): everything appended in the
   * same turn is written as one group. The common case of a tailing producer (a small queue, no
   * other operation pending, no roll or flush due) is written inline, without the promise chain.
   */
  private readonly drainTask = (): void => {
    if (this.queue.isEmpty) {
      this.drainScheduled = false;
      return;
    }
    if (this.writeInline()) {
      this.drainScheduled = false;
      return;
    }
    void this.serial(async () => {}).catch(() => {});
  };

  /** What both inline paths need (rolls and flushes aside): nothing pending or unacknowledged, a small write. */
  private inlineAllowed(bytes: number): boolean {
    return (
      this.pendingOps === 0 &&
      this.acks.length === 0 &&
      bytes <= SYNC_WRITE_MAX_BYTES &&
      this.target.state.inlineWritable
    );
  }

  /**
   * An inline path's synchronous write. A failure takes the log offline and rejects `group` (the
   * appends being written), then everything still queued; the error is returned.
   */
  private writeNowOrFail(
    segment: LogSegment,
    buffers: Buffer[],
    bytes: number,
    group: readonly PendingAppend[] = [],
  ): LogClosedError | undefined {
    try {
      segment.writeNow(buffers, bytes);
      return undefined;
    } catch (e) {
      return this.writeFailed(e, group);
    }
  }

  /** A write failed: the log goes offline, `group` (the appends being written) and everything queued are rejected. */
  private writeFailed(e: unknown, group: readonly PendingAppend[] = []): LogClosedError {
    this.target.fail(e);
    const error = this.offlineError(e);
    for (const p of group) p.reject(error);
    this.queue.failAll(error);
    return error;
  }

  /** The inline path of drainTask; false when the general (serial) path must write the queue. */
  private writeInline(): boolean {
    const target = this.target;
    const queued = this.queue.items;
    if (!this.inlineAllowed(this.queue.bytes)) return false;
    const now = target.clock();
    let bytes = 0;
    for (const p of queued) {
      if (
        target.local.shouldRoll(
          { lastOffset: p.result.lastOffset, bytes: p.buf.length, maxTimestamp: p.result.maxTimestamp },
          bytes,
          now,
        )
      )
        return false;
      bytes += p.buf.length;
    }
    const end = queued[queued.length - 1]!.result.lastOffset + 1;
    if (target.flushPolicy.due(end, now)) return false;
    const group = this.queue.takeGroup(Infinity);
    const buffers: Buffer[] = [];
    for (const p of group) buffers.push(p.buf);
    const segment = target.local.active;
    if (this.writeNowOrFail(segment, buffers, bytes, group) !== undefined) return true;
    segment.commitAppends(group, bytes, now);
    target.state.logEndOffset = end;
    target.flushPolicy.scheduleTimer();
    this.acknowledge(group);
    return true;
  }

  /**
   * Writes the queued appends, group by group. Up to WRITES_IN_FLIGHT groups are written at once
   * (positional writes at consecutive file positions); each is committed (indexed, made readable,
   * acknowledged) only after every earlier one, so the log end only ever moves over written bytes.
   */
  private async drainPending(): Promise<void> {
    const inFlight: Promise<void>[] = [];
    let previous: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        if (this.queue.isEmpty) {
          if (inFlight.length === 0) break;
          await inFlight.shift();
          continue;
        }
        if (inFlight.length >= WRITES_IN_FLIGHT) {
          await inFlight.shift();
          continue;
        }
        // Half the queue (at least one append) per group, so the two writes in flight share it.
        const group = this.queue.takeGroup(Math.min(this.target.config.maxGroupCommitBytes, this.queue.bytes / 2));
        const started = await this.startGroup(group, previous).catch((e: unknown) => {
          this.rejectGroup(group, e);
          throw e;
        });
        previous = started.done;
        inFlight.push(previous);
      }
    } catch (e) {
      await Promise.allSettled(inFlight);
      this.writeFailed(e);
      this.drainScheduled = false;
      throw e;
    }
    this.drainScheduled = false;
  }

  private offlineError(e: unknown): LogClosedError {
    return new LogClosedError(`log write failed: ${String(this.target.state.failure ?? e)}`);
  }

  private rejectGroup(group: PendingAppend[], e?: unknown): void {
    const error = this.offlineError(e);
    for (const p of group) p.reject(error);
  }

  /**
   * Starts writing `group` (rolling segments first where needed, which waits for `previous`) and
   * returns once its writes are issued. `done` settles after `previous` and this group's writes,
   * with the group committed, flushed per the flush policy and acknowledged (or rejected).
   */
  private async startGroup(group: PendingAppend[], previous: Promise<void>): Promise<{ done: Promise<void> }> {
    const target = this.target;
    const now = target.clock();
    let buffers: Buffer[] = [];
    let appends: PendingAppend[] = [];
    let bytes = 0;
    let endOffset = target.state.logEndOffset;
    let prior = previous;
    // Issues the write of what is collected; it commits once written and once `prior` is done.
    const issue = (): void => {
      if (buffers.length === 0) return;
      const segment = target.local.active;
      const [written, committed, size, end] = [segment.write(buffers, bytes), appends, bytes, endOffset];
      const before = prior;
      prior = Promise.all([written, before]).then(() => {
        segment.commitAppends(committed, size, now);
        target.state.logEndOffset = end;
      });
      buffers = [];
      appends = [];
      bytes = 0;
    };
    let groupBytes = 0;
    for (const p of group) {
      groupBytes += p.buf.length;
      if (
        target.local.shouldRoll(
          { lastOffset: p.result.lastOffset, bytes: p.buf.length, maxTimestamp: p.result.maxTimestamp },
          bytes,
          now,
        )
      ) {
        issue();
        await prior;
        await target.roll(p.result.baseOffset, now);
      }
      buffers.push(p.buf);
      appends.push(p);
      bytes += p.buf.length;
      endOffset = p.result.lastOffset + 1;
    }
    issue();
    const done = prior
      .then(async () => {
        await target.flushPolicy.maybeFlush(now);
        if (target.state.epochDirty) await target.writeEpochCheckpoint();
        this.acknowledge(group, groupBytes > SYNC_WRITE_MAX_BYTES);
      })
      .catch((e: unknown) => {
        this.rejectGroup(group, e);
        throw e;
      });
    return { done };
  }

  private acknowledge(group: PendingAppend[], large = false): void {
    // Under load (more appends queued), resolve on the next loop turn: the writer first issues the
    // next group's writev, so the appenders woken here overlap with that write instead of delaying
    // it. With nothing queued there is nothing to overlap: resolve at once (lower ack latency) —
    // unless the group is large: then the writer is idle again (its drain finished) when the
    // appender's next append arrives, so that one can take startUnchecked. Either way
    // acknowledgements (and listener calls) keep the groups' order.
    this.acks.push(group);
    if (this.ackScheduled) return;
    if (this.queue.isEmpty && !large) {
      this.flushAcks();
    } else {
      this.ackScheduled = true;
      setImmediate(() => {
        this.ackScheduled = false;
        this.flushAcks();
      });
    }
  }

  private flushAcks(): void {
    const groups = this.acks;
    this.acks = [];
    for (const group of groups) for (const p of group) p.resolve(p.result);
    this.target.appended(this.target.state.logEndOffset);
  }
}
