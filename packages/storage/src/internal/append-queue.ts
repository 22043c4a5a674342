// Appends waiting for the group-commit writer, bounded in bytes: past the bound, new appends wait
// (in order) until the writer has taken a group.
import type { BatchMeta } from "./batch.js";

export interface AppendOutcome {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  logAppendTimeMs: number;
}

export interface PendingAppend {
  buf: Buffer;
  metas: BatchMeta[];
  result: AppendOutcome;
  resolve: (r: AppendOutcome) => void;
  reject: (e: unknown) => void;
}

export class AppendQueue {
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private roomWaiters: (() => void)[] = [];
  private maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Changes the bound; appenders waiting for room are woken if it grew. */
  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    if (this.pendingBytes < maxBytes) this.wakeWaiters();
  }

  /** The queued appends, oldest first (read-only view). */
  get items(): readonly PendingAppend[] {
    return this.pending;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.pendingBytes;
  }

  get isEmpty(): boolean {
    return this.pending.length === 0;
  }

  /** Undefined when there is room now; otherwise a promise resolved (in FIFO order) when there is. */
  waitForRoom(): Promise<void> | undefined {
    if (this.pendingBytes < this.maxBytes && this.roomWaiters.length === 0) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  push(buf: Buffer, metas: BatchMeta[], result: AppendOutcome): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ buf, metas, result, resolve, reject });
      this.pendingBytes += buf.length;
    });
  }

  /** Takes the oldest appends up to `groupBytes` (at least one) and wakes waiting appenders. */
  takeGroup(groupBytes: number): PendingAppend[] {
    let n = 0;
    let bytes = 0;
    while (n < this.pending.length && (n === 0 || bytes + this.pending[n]!.buf.length <= groupBytes)) {
      bytes += this.pending[n]!.buf.length;
      n++;
    }
    const group = this.pending.splice(0, n);
    this.pendingBytes -= bytes;
    this.wakeWaiters();
    return group;
  }

  /** Rejects everything queued (the log went offline). */
  failAll(error: unknown): void {
    for (const p of this.pending) p.reject(error);
    this.pending = [];
    this.pendingBytes = 0;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}
