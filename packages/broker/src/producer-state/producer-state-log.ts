// A partition's producer state kept with its storage log (Kafka's ProducerStateManager as
// UnifiedLog drives it): loaded at open from the latest `<offset>.snapshot` at or below the log
// end plus a scan of the batch headers after it (no snapshot, or an unreadable one: a scan from
// the log start); kept current by the log's append hook, which sees leader appends (stamped with
// their offsets) and follower appends alike, so a follower that becomes leader needs no rebuild;
// snapshotted when the log rolls a segment and at clean shutdown; rolled back after a
// truncation (the latest snapshot at or below the new log end plus the log after it).
import {
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
} from "@gregor/protocol";
import type { Log, Logger } from "@gregor/storage";
import { forEachProducerBatch, type LoggedBatch, PartitionProducerState } from "./producer-state.js";
import {
  deleteSnapshot,
  deleteTemporarySnapshots,
  listSnapshots,
  readSnapshot,
  writeSnapshot,
} from "./snapshot-file.js";

/** Bytes read per step of a recovery scan (whole batches; only their headers are used). */
const SCAN_READ_BYTES = 8 * 1024 * 1024;

const attached = new WeakMap<Log, ProducerStateLog>();

export class ProducerStateLog {
  readonly state = new PartitionProducerState();
  /** Snapshot writes and deletions, one at a time and in order. */
  private io: Promise<void> = Promise.resolve();
  /** The active segment's base offset when the last roll snapshot was taken. */
  private snapshottedSegment: number;
  /** While a truncation reloads the state, batches the hook saw (applied after the reload). */
  private heldDuringReload: LoggedBatch[] | null = null;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly log: Log,
    private readonly logger: Logger,
  ) {
    this.snapshottedSegment = log.activeSegmentBaseOffset;
    log.setBeforeAppend((records) => this.onRecords(records));
    this.unsubscribe = log.onAppend(() => this.maybeSnapshotOnRoll());
  }

  /** The producer state of `log`, loaded on first use (one per open log). */
  static async attach(log: Log, logger: Logger): Promise<ProducerStateLog> {
    const existing = attached.get(log);
    if (existing !== undefined) return existing;
    const p = new ProducerStateLog(log, logger);
    attached.set(log, p);
    p.heldDuringReload = [];
    try {
      await p.reload();
    } finally {
      p.releaseHeld();
    }
    return p;
  }

  private onRecords(records: Buffer): void {
    try {
      if (this.heldDuringReload !== null) forEachProducerBatch(records, (b) => this.heldDuringReload?.push(b));
      else this.state.applyRecords(records);
    } catch (e) {
      // Never fail an append for the state's sake: the worst outcome is a retry not recognised.
      this.logger.error({ dir: this.log.dir, err: String(e) }, "producer state update failed");
    }
  }

  private releaseHeld(): void {
    const held = this.heldDuringReload ?? [];
    this.heldDuringReload = null;
    for (const b of held) this.state.applyLogged(b);
  }

  /** Latest usable snapshot at or below the log end, then the log after it. */
  private async reload(): Promise<void> {
    const log = this.log;
    const end = log.logEndOffset;
    const first = log.segmentBaseOffsets()[0] ?? log.logStartOffset;
    let from = log.logStartOffset;
    this.state.clear();
    await deleteTemporarySnapshots(log.dir);
    const offsets = await listSnapshots(log.dir);
    for (const offset of offsets)
      if (offset > end || offset < first) await this.enqueue(() => deleteSnapshot(log.dir, offset));
    const usable = offsets.filter((o) => o <= end && o >= first);
    for (let i = usable.length - 1; i >= 0; i--) {
      const offset = usable[i]!;
      try {
        this.state.load(await readSnapshot(log.dir, offset));
        from = Math.max(offset, log.logStartOffset);
        break;
      } catch (e) {
        this.logger.warn({ dir: log.dir, offset, err: String(e) }, "producer snapshot unreadable: deleting it");
        await this.enqueue(() => deleteSnapshot(log.dir, offset));
      }
    }
    const scanned = await this.scan(from, end);
    this.snapshottedSegment = log.activeSegmentBaseOffset;
    if (scanned > 0 || from < end)
      this.logger.info(
        { dir: log.dir, from, to: end, batches: scanned, producers: this.state.size },
        "producer state rebuilt from the log",
      );
  }

  /** Applies the producer batches in [from, end); returns how many were seen. */
  private async scan(from: number, end: number): Promise<number> {
    let offset = from;
    let count = 0;
    while (offset < end) {
      const r = await this.log.read(offset, SCAN_READ_BYTES, end);
      if (r.buffers.length === 0) break;
      let next = offset;
      for (const buf of r.buffers) {
        forEachProducerBatch(buf, (b) => {
          if (b.lastOffset < from) return;
          this.state.applyLogged(b);
          count++;
        });
        next = Math.max(next, lastOffsetAfter(buf));
      }
      if (next <= offset) break;
      offset = next;
    }
    return count;
  }

  private maybeSnapshotOnRoll(): void {
    const base = this.log.activeSegmentBaseOffset;
    if (base === this.snapshottedSegment || this.heldDuringReload !== null) return;
    this.snapshottedSegment = base;
    void this.snapshot(base);
  }

  /** Writes the state as of `offset` and drops snapshots below the oldest segment (deleted with it). */
  private snapshot(offset: number): Promise<void> {
    const entries = this.state.snapshotEntries(offset);
    const dir = this.log.dir;
    return this.enqueue(async () => {
      await writeSnapshot(dir, offset, entries);
      await this.deleteSnapshotsBelowLog();
    });
  }

  /** After segments were deleted (retention, DeleteRecords): snapshots below the log go with them. */
  cleanupSnapshots(): Promise<void> {
    return this.enqueue(() => this.deleteSnapshotsBelowLog());
  }

  private async deleteSnapshotsBelowLog(): Promise<void> {
    const first = this.log.segmentBaseOffsets()[0];
    if (first === undefined) return;
    for (const old of await listSnapshots(this.log.dir)) if (old < first) await deleteSnapshot(this.log.dir, old);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.io.then(task).catch((e: unknown) => {
      this.logger.error({ dir: this.log.dir, err: String(e) }, "producer snapshot I/O failed");
    });
    this.io = run;
    return run;
  }

  /**
   * After the log was truncated (replication divergence): the state as of the new log end. With
   * `fully` (the log was emptied and restarted) every snapshot describes data that is gone.
   * A follower's appends and truncations are sequential (its fetcher awaits each); batches the
   * hook sees meanwhile are held and applied after the reload (applying one twice is harmless).
   */
  async afterTruncation(fully = false): Promise<void> {
    this.heldDuringReload ??= [];
    try {
      await this.io;
      if (fully) for (const offset of await listSnapshots(this.log.dir)) await deleteSnapshot(this.log.dir, offset);
      await this.reload();
    } finally {
      this.releaseHeld();
    }
  }

  /** Clean shutdown (call after the log closed): a snapshot at the log end, so the next open scans nothing. */
  async close(): Promise<void> {
    await this.detach();
    await this.snapshot(this.log.logEndOffset);
  }

  /** Stops following the log (it is being deleted); waits for snapshot I/O in progress. */
  async detach(): Promise<void> {
    this.unsubscribe();
    this.log.setBeforeAppend(undefined);
    attached.delete(this.log);
    await this.io;
  }
}

/** One past the last offset of the batches in `buf` (whole batches). */
function lastOffsetAfter(buf: Buffer): number {
  let pos = 0;
  let next = -1;
  while (pos + RECORD_BATCH_OVERHEAD <= buf.length) {
    const size = LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) break;
    const baseOffset = Number(buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET));
    next = baseOffset + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
    pos += size;
  }
  return next;
}
