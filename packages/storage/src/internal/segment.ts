// One log segment: `<20-digit baseOffset>.log` plus its `.index` and `.timeindex`.
import { open, rename, rm, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { assert } from "@gregor/protocol/util";
import { scanHeaders, scanValid, readFully, type HeaderInfo } from "./file-scan.js";
import type { BatchMeta } from "./batch.js";
import { OffsetIndex } from "./offset-index.js";
import { firstBatchTimestampOf, loadIndexFiles, scanTail, tailFromIndexes } from "./segment-indexes.js";
import { writevFully, writevFullySync } from "./positional-write.js";
import { TimeIndex } from "./time-index.js";

/** Append groups up to this size are written with a synchronous writev (see Segment.append). */
export const SYNC_WRITE_MAX_BYTES = 64 * 1024;

export interface SegmentConfig {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

/** A batch about to be written, with its final offsets. `pos` is within its buffer. */
export interface WrittenBatch {
  size: number;
  lastOffset: number;
  maxTimestamp: number;
}

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, "0")}${suffix}`;
}

const RECOVERY_CHUNK_BYTES = 8 * 1024 * 1024;

export class LogSegment {
  readonly baseOffset: number;
  private readonly dir: string;
  /** "" for a live segment; ".cleaned" / ".swap" / ".deleted" during a cleaner swap. */
  private suffix: string;
  logPath: string;
  indexPath: string;
  timeIndexPath: string;
  private fh: FileHandle;
  private readonly config: SegmentConfig;
  size: number;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  /** One past the last offset in this segment (baseOffset when empty). */
  nextOffset: number;
  maxTimestamp = -1;
  /** Last offset of the batch holding maxTimestamp. */
  offsetOfMaxTimestamp: number;
  /** maxTimestamp of the first batch (segment.ms rolls are based on it, as in Kafka). */
  firstBatchTimestamp = -1;
  createdMs: number;
  lastModifiedMs: number;
  /** Bytes written since the last fsync. */
  dirty = false;
  private bytesSinceLastIndexEntry = 0;
  private refs = 0;
  private deleted = false;
  private retired = false;
  private closed = false;

  private constructor(
    dir: string,
    baseOffset: number,
    fh: FileHandle,
    size: number,
    config: SegmentConfig,
    mtimeMs: number,
    suffix = "",
  ) {
    this.baseOffset = baseOffset;
    this.dir = dir;
    this.suffix = suffix;
    this.logPath = join(dir, segmentFileName(baseOffset, ".log" + suffix));
    this.indexPath = join(dir, segmentFileName(baseOffset, ".index" + suffix));
    this.timeIndexPath = join(dir, segmentFileName(baseOffset, ".timeindex" + suffix));
    this.fh = fh;
    this.size = size;
    this.config = config;
    this.offsetIndex = new OffsetIndex(baseOffset, config.segmentIndexBytes);
    this.timeIndex = new TimeIndex(baseOffset, config.segmentIndexBytes);
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
    this.createdMs = mtimeMs;
    this.lastModifiedMs = mtimeMs;
  }

  static async create(
    dir: string,
    baseOffset: number,
    config: SegmentConfig,
    nowMs: number,
    suffix = "",
  ): Promise<LogSegment> {
    const fh = await open(join(dir, segmentFileName(baseOffset, ".log" + suffix)), "w+");
    return new LogSegment(dir, baseOffset, fh, 0, config, nowMs, suffix);
  }

  /**
   * Renames the segment's files to `<base>.<kind><suffix>` (Kafka's changeFileSuffixes): the
   * indexes first, the log last, so the log file's name is the commit point of a swap.
   */
  async changeSuffix(suffix: string): Promise<void> {
    const to = (kind: string): string => join(this.dir, segmentFileName(this.baseOffset, kind + suffix));
    for (const [from, kind] of [
      [this.indexPath, ".index"],
      [this.timeIndexPath, ".timeindex"],
    ] as const) {
      try {
        await rename(from, to(kind));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    await rename(this.logPath, to(".log"));
    this.suffix = suffix;
    this.logPath = to(".log");
    this.indexPath = to(".index");
    this.timeIndexPath = to(".timeindex");
  }

  get fileSuffix(): string {
    return this.suffix;
  }

  static async open(dir: string, baseOffset: number, config: SegmentConfig): Promise<LogSegment> {
    const fh = await open(join(dir, segmentFileName(baseOffset, ".log")), "r+");
    const st = await fh.stat();
    return new LogSegment(dir, baseOffset, fh, st.size, config, st.mtimeMs);
  }

  get isIndexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Bytes handed to `write` and not yet committed. */
  private writing = 0;

  /** The file position the next `write` starts at: the size plus the writes in flight. */
  get writeEnd(): number {
    return this.size + this.writing;
  }

  /** Writes `buffers` (whole batches, offsets final) then indexes them: `write` + `commit`. */
  async append(buffers: Buffer[], totalBytes: number, batches: readonly WrittenBatch[], nowMs: number): Promise<void> {
    await this.write(buffers, totalBytes);
    this.commit(batches, totalBytes, nowMs);
  }

  /**
   * Writes `buffers` at `writeEnd` with one writev (more only on a short write). Several writes
   * may be in flight, each at its own position; every one must then be committed, in the order
   * the writes were started, once it resolved.
   */
  write(buffers: Buffer[], totalBytes: number): Promise<void> {
    const start = this.writeEnd;
    this.writing += totalBytes;
    // Small groups (a tailing producer's single batch) are written inline: a page-cache write of a
    // few KiB takes microseconds, less than the thread-pool round trip of an async writev, and
    // that round trip is most of a lone produce request's latency. Large groups stay async so the
    // event loop keeps serving (and validating the next appends) while megabytes are copied.
    if (totalBytes <= SYNC_WRITE_MAX_BYTES) {
      try {
        writevFullySync(this.fh.fd, buffers, totalBytes, start);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return writevFully(this.fh.fd, buffers, totalBytes, start);
  }

  /** Writes `buffers` at `writeEnd` synchronously (no write may be in flight); commit follows. */
  writeNow(buffers: Buffer[], totalBytes: number): void {
    assert(this.writing === 0, "synchronous write with writes in flight");
    this.writing = totalBytes;
    writevFullySync(this.fh.fd, buffers, totalBytes, this.size);
  }

  /**
   * Drops a finished write that must not be committed (`totalBytes`, the only write in flight):
   * the file is cut back to the committed size, and the next write starts there again.
   */
  async abandonWrite(totalBytes: number): Promise<void> {
    assert(this.writing === totalBytes, "abandoning a write that is not the only one in flight");
    await this.fh.truncate(this.size);
    this.writing = 0;
  }

  /**
   * After a failed write (ENOSPC, EIO) with nothing in flight any more: cuts the file back to
   * the committed size, so a partial batch neither stays on disk nor holds the space it took.
   */
  async cutBackUncommitted(): Promise<void> {
    this.writing = 0;
    await this.fh.truncate(this.size);
  }

  /** Indexes the oldest uncommitted write (`totalBytes` of `batches`), now on file. */
  commit(batches: readonly WrittenBatch[], totalBytes: number, nowMs: number): void {
    let position = this.size;
    for (const b of batches) this.indexBatch(b.lastOffset, position, b.size, b.maxTimestamp), (position += b.size);
    this.committed(position, totalBytes, nowMs);
  }

  /** `commit` for a write of whole appends, given by their batches (final offsets). */
  commitAppends(appends: readonly { readonly metas: readonly BatchMeta[] }[], totalBytes: number, nowMs: number): void {
    let position = this.size;
    for (const a of appends) position = this.indexMetas(a.metas, position);
    this.committed(position, totalBytes, nowMs);
  }

  /** `commit` for a write of one append's batches (final offsets). */
  commitBatches(metas: readonly BatchMeta[], totalBytes: number, nowMs: number): void {
    this.committed(this.indexMetas(metas, this.size), totalBytes, nowMs);
  }

  /** Indexes `metas` written from `position` on; returns the position after them. */
  private indexMetas(metas: readonly BatchMeta[], position: number): number {
    for (const m of metas)
      this.indexBatch(m.baseOffset + m.lastOffsetDelta, position, m.size, m.maxTimestamp), (position += m.size);
    return position;
  }

  private committed(position: number, totalBytes: number, nowMs: number): void {
    assert(totalBytes <= this.writing, "commit of bytes never written");
    assert(position === this.size + totalBytes, "batch sizes disagree with the buffers written");
    this.writing -= totalBytes;
    this.size = position;
    this.dirty = true;
    this.lastModifiedMs = nowMs;
  }

  private indexBatch(lastOffset: number, position: number, size: number, maxTimestamp: number): void {
    if (this.nextOffset === this.baseOffset && position === 0) this.firstBatchTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes && !this.isIndexFull) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.nextOffset = lastOffset + 1;
  }

  private resetIndexState(): void {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.firstBatchTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
  }

  /**
   * Scans the whole file, validating every batch, rebuilding both indexes; a torn or corrupt tail
   * is truncated. Returns the bytes dropped and why.
   */
  async recover(onBatch?: (h: HeaderInfo) => void): Promise<{ truncatedBytes: number; problem: string | undefined }> {
    this.resetIndexState();
    const result = await scanValid(this.fh, this.baseOffset, 0, this.size, RECOVERY_CHUNK_BYTES, (h) => {
      this.indexBatch(h.lastOffset, h.position, h.size, h.maxTimestamp);
      onBatch?.(h);
    });
    const truncatedBytes = this.size - result.validBytes;
    if (truncatedBytes > 0) {
      await this.fh.truncate(result.validBytes);
      this.size = result.validBytes;
    }
    return { truncatedBytes, problem: result.problem };
  }

  /**
   * Loads indexes from disk after a clean shutdown (or for segments below the recovery point).
   * `upperBoundOffset` is the next segment's base offset (Infinity for the last segment). Returns
   * false when an index is missing or fails its sanity check, or the tail after the last index
   * entry does not scan cleanly: the caller then runs recover().
   */
  async loadIndexes(upperBoundOffset: number): Promise<boolean> {
    const loaded = await loadIndexFiles(this, this.config.segmentIndexBytes, upperBoundOffset);
    if (loaded === undefined) return false;
    this.resetIndexState();
    this.offsetIndex = loaded.offsetIndex;
    this.timeIndex = loaded.timeIndex;
    const n = loaded.offsetIndex.entries;
    const from = tailFromIndexes(this);
    let firstChecked = n > 0;
    let consistent = true;
    const end = await scanTail(this.fh, this, from, this.size, (h) => {
      if (!firstChecked) this.firstBatchTimestamp = h.maxTimestamp;
      if (firstChecked && h.position === from && h.lastOffset !== this.nextOffset) consistent = false;
      firstChecked = true;
      return consistent;
    });
    if (!consistent || end !== this.size || this.nextOffset > upperBoundOffset) return false;
    this.bytesSinceLastIndexEntry = this.size - from;
    if (this.size > 0 && n > 0) this.firstBatchTimestamp = await firstBatchTimestampOf(this.fh, this.size);
    return true;
  }

  /** Header of the first batch whose last offset is >= `offset`, searching below `endPosition`. */
  async translateOffset(offset: number, endPosition = this.size): Promise<HeaderInfo | undefined> {
    let found: HeaderInfo | undefined;
    const from = this.offsetIndex.lookup(offset);
    await scanHeaders(this.fh, from, endPosition, (h) => {
      if (h.lastOffset >= offset) {
        found = h;
        return false;
      }
      return true;
    });
    return found;
  }

  /** Headers of consecutive batches from `position`, while `take` says yes. */
  async headersFrom(position: number, endPosition: number, take: (h: HeaderInfo) => boolean): Promise<void> {
    await scanHeaders(this.fh, position, endPosition, take);
  }

  async read(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    const n = await readFully(this.fh, buf, position, length);
    return n === length ? buf : buf.subarray(0, n);
  }

  /** Drops every batch whose last offset is >= `offset`. Returns the bytes removed. */
  async truncateTo(offset: number): Promise<number> {
    const h = await this.translateOffset(offset);
    if (h === undefined) return 0;
    const dropped = this.size - h.position;
    await this.fh.truncate(h.position);
    this.size = h.position;
    this.offsetIndex.truncateToPosition(h.position);
    this.timeIndex.truncateToOffset(offset);
    // Recompute the tail facts from the last surviving index entry onward.
    const from = tailFromIndexes(this);
    if (this.size === 0) this.firstBatchTimestamp = -1;
    await scanTail(this.fh, this, from, this.size);
    this.bytesSinceLastIndexEntry = this.size - from;
    this.dirty = true;
    return dropped;
  }

  async flush(): Promise<void> {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    await this.fh.datasync();
  }

  async writeIndexes(): Promise<void> {
    await Promise.all([
      writeFile(this.indexPath, this.offsetIndex.bytes()),
      writeFile(this.timeIndexPath, this.timeIndex.bytes()),
    ]);
  }

  /** On roll: the final time index entry (Kafka's onBecomeInactiveSegment) and index files. */
  async onBecomeInactive(): Promise<void> {
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    await this.writeIndexes();
  }

  acquire(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0 && this.deleted) void this.removeFiles();
    else if (this.refs === 0 && this.retired) void this.close();
  }

  /**
   * Forgets this segment without touching its files (they now belong to a replacement segment of
   * the same base offset): closes the handle once in-flight reads have released it.
   */
  async retire(): Promise<void> {
    this.retired = true;
    if (this.refs === 0) await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  /** Deletes the files; waits for in-flight reads to release the segment first. */
  async delete(): Promise<void> {
    this.deleted = true;
    if (this.refs === 0) await this.removeFiles();
  }

  private async removeFiles(): Promise<void> {
    await this.close();
    await rm(this.logPath, { force: true });
    await Promise.all([rm(this.indexPath, { force: true }), rm(this.timeIndexPath, { force: true })]);
  }
}
