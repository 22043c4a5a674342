// One compaction pass over one log (Kafka's Cleaner.doClean): map the dirty part's keys to their
// latest offsets, rewrite every segment group below the first uncleanable offset keeping only the
// latest record per key (and tombstones until their delete horizon), and swap each cleaned group
// in (`.cleaned` -> `.swap` -> live name, old files renamed `.deleted` then removed).
import {
  CONTROL_FLAG_MASK,
  ATTRIBUTES_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  TRANSACTIONAL_FLAG_MASK,
  batchSizeAt,
  decodeRecordBatchAsync,
} from "@gregor/protocol";
import type { LogConfig, Logger } from "../config.js";
import { readInt64 } from "../internal/batch.js";
import type { HeaderInfo } from "../internal/file-scan.js";
import { LogSegment, type WrittenBatch } from "../internal/segment.js";
import { OffsetMap, type OffsetMapLimits } from "./offset-map.js";
import {
  cleanableRange,
  groupSegments,
  recordPass,
  tombstoneExpired,
  type CleanableRange,
  type CleanerCheckpoint,
} from "./plan.js";
import { emptyBatchLike, rebuildBatch } from "./rewrite.js";

export interface CompactionStats {
  /** Bytes of the segments rewritten, before and after. */
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  /** Batches dropped whole (every record removed). */
  batchesRemoved: number;
  segmentsCleaned: number;
  /** The dirty range that was mapped: [firstDirtyOffset, cleanedUpTo). */
  firstDirtyOffset: number;
  cleanedUpTo: number;
  /** Why nothing was done, when nothing was. */
  skipped?: "cleanup.policy=delete" | "nothing dirty" | "aborted";
}

/** The stats of a pass that cleaned nothing (yet) from `firstDirtyOffset`. */
export function noCompaction(firstDirtyOffset: number): CompactionStats {
  return {
    bytesBefore: 0,
    bytesAfter: 0,
    recordsRemoved: 0,
    tombstonesRemoved: 0,
    batchesRemoved: 0,
    segmentsCleaned: 0,
    firstDirtyOffset,
    cleanedUpTo: firstDirtyOffset,
  };
}

export interface CompactOptions {
  /** Nothing reaching this offset is cleaned (default: the log end offset). */
  highWatermark?: number;
  /** Bounds of the key -> offset map (default 1M keys, 64 MiB of keys). */
  offsetMap?: Partial<OffsetMapLimits>;
}

/** What the cleaner needs from a Log (implemented by Log, not public). */
export interface CompactionHost {
  dir: string;
  config: Readonly<LogConfig>;
  logger: Logger;
  segments(): readonly LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  cleanerCheckpoint(): CleanerCheckpoint;
  /** Bumped by every truncation: a pass that saw another generation does not swap. */
  generation(): number;
  stopping(): boolean;
  /** Swaps `cleaned` in for `old` (serialized with appends); false when the log changed meanwhile. */
  commit(old: readonly LogSegment[], cleaned: LogSegment, generation: number): Promise<boolean>;
  saveCleanerCheckpoint(c: CleanerCheckpoint): Promise<void>;
}

const READ_CHUNK_BYTES = 1024 * 1024;
const WRITE_CHUNK_BYTES = 1024 * 1024;

export function rangeOf(host: CompactionHost, nowMs: number, highWatermark?: number): CleanableRange {
  return cleanableRange({
    segments: host.segments(),
    logStartOffset: host.logStartOffset,
    firstDirtyOffset: host.cleanerCheckpoint().firstDirtyOffset,
    highWatermark: Math.min(highWatermark ?? host.logEndOffset, host.logEndOffset),
    nowMs,
    minCompactionLagMs: host.config.minCompactionLagMs,
    maxCompactionLagMs: host.config.maxCompactionLagMs,
  });
}

class Aborted extends Error {}

/** Calls `visit` with every whole batch of `seg` (buffer, position in it, header) in order. */
async function forEachBatch(
  seg: LogSegment,
  visit: (buf: Buffer, pos: number, h: HeaderInfo) => Promise<void>,
): Promise<void> {
  const headers: HeaderInfo[] = [];
  await seg.headersFrom(0, seg.size, (h) => (headers.push(h), true));
  let i = 0;
  while (i < headers.length) {
    const start = headers[i]!.position;
    let j = i;
    let end = start;
    while (j < headers.length && (j === i || end + headers[j]!.size - start <= READ_CHUNK_BYTES))
      end += headers[j++]!.size;
    const buf = await seg.read(start, end - start);
    for (let k = i; k < j; k++) {
      const h = headers[k]!;
      await visit(buf, h.position - start, h);
    }
    i = j;
  }
}

function isControlOrTransactional(buf: Buffer, pos: number): boolean {
  return (buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & (CONTROL_FLAG_MASK | TRANSACTIONAL_FLAG_MASK)) !== 0;
}

/** One compaction pass. The caller serializes passes per log. */
export async function compactLog(
  host: CompactionHost,
  nowMs: number,
  options: CompactOptions = {},
): Promise<CompactionStats> {
  const generation = host.generation();
  const range = rangeOf(host, nowMs, options.highWatermark);
  const stats = noCompaction(range.firstDirtyOffset);
  // With nothing dirty a pass can still expire tombstones of the clean part.
  if (range.dirtyBytes === 0 && range.cleanBytes === 0) return { ...stats, skipped: "nothing dirty" };
  const segments = [...host.segments()];
  for (const s of segments) s.acquire();
  try {
    const map = new OffsetMap({
      maxEntries: options.offsetMap?.maxEntries ?? 1_000_000,
      maxKeyBytes: options.offsetMap?.maxKeyBytes ?? 64 * 1024 * 1024,
    });
    const mappedUpTo = await buildOffsetMap(host, segments, range, map);
    stats.cleanedUpTo = mappedUpTo;
    const lastBatchOfProducer = new Map<number, number>();
    for (const seg of segments) {
      if (seg.baseOffset >= mappedUpTo) break;
      await seg.headersFrom(
        0,
        seg.size,
        (h) => (h.producerId >= 0 && lastBatchOfProducer.set(h.producerId, h.baseOffset), true),
      );
    }
    const checkpoint = host.cleanerCheckpoint();
    const ctx: GroupContext = { host, map, nowMs, checkpoint, lastBatchOfProducer, stats };
    for (const [from, to] of groupSegments(segments, 0, mappedUpTo, host.config.segmentBytes)) {
      const group = segments.slice(from, to);
      const removedBefore = stats.recordsRemoved + stats.batchesRemoved;
      const cleaned = await cleanGroup(ctx, group);
      // Nothing removed from a single segment: it stays as it is. A group of several segments
      // (small ones whose sizes add up to at most segment.bytes, as Kafka's groupSegmentsBySize)
      // is swapped in even so: it merges them into one.
      if (stats.recordsRemoved + stats.batchesRemoved === removedBefore && group.length === 1) {
        await cleaned.delete();
        continue;
      }
      stats.bytesBefore += group.reduce((sum, s) => sum + s.size, 0);
      stats.bytesAfter += cleaned.size;
      stats.segmentsCleaned += group.length;
      if (!(await host.commit(group, cleaned, generation))) {
        await cleaned.delete();
        throw new Aborted("log changed during compaction");
      }
    }
    await host.saveCleanerCheckpoint({
      firstDirtyOffset: mappedUpTo,
      passes: recordPass(checkpoint.passes, { cleanedUpTo: mappedUpTo, timeMs: nowMs }),
    });
    host.logger.info({ dir: host.dir, ...stats }, "compacted log");
    return stats;
  } catch (e) {
    if (e instanceof Aborted) return { ...stats, skipped: "aborted" };
    throw e;
  } finally {
    for (const s of segments) s.release();
  }
}

/** Maps keys of the dirty segments; returns the segment boundary up to which the map is complete. */
async function buildOffsetMap(
  host: CompactionHost,
  segments: readonly LogSegment[],
  range: CleanableRange,
  map: OffsetMap,
): Promise<number> {
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const upper = segments[i + 1]?.baseOffset ?? Infinity;
    if (upper <= range.firstDirtyOffset) continue;
    if (seg.baseOffset >= range.firstUncleanableOffset) return range.firstUncleanableOffset;
    // Whole segments only; the first dirty segment is always mapped whatever the bound.
    if (map.isFull && seg.baseOffset > range.firstDirtyOffset) return seg.baseOffset;
    await forEachBatch(seg, async (buf, pos, h) => {
      if (host.stopping()) throw new Aborted("log closing");
      if (h.lastOffset < range.firstDirtyOffset || isControlOrTransactional(buf, pos)) return;
      const batch = await decodeRecordBatchAsync(buf, pos, { verifyCrc: false });
      for (const r of batch.records) if (r.key !== null) map.put(r.key, h.baseOffset + r.offsetDelta);
    });
  }
  return range.firstUncleanableOffset;
}

interface GroupContext {
  host: CompactionHost;
  map: OffsetMap;
  nowMs: number;
  checkpoint: CleanerCheckpoint;
  lastBatchOfProducer: Map<number, number>;
  stats: CompactionStats;
}

/** Writes the cleaned copy of `group` as `<base>.log.cleaned` (+ indexes), fsynced. */
async function cleanGroup(ctx: GroupContext, group: readonly LogSegment[]): Promise<LogSegment> {
  const { host, map, nowMs, checkpoint, stats } = ctx;
  const first = group[0]!;
  const cleaned = await LogSegment.create(host.dir, first.baseOffset, host.config, nowMs, ".cleaned");
  let buffers: Buffer[] = [];
  let batches: WrittenBatch[] = [];
  let bytes = 0;
  const flushWrites = async (): Promise<void> => {
    if (bytes === 0) return;
    await cleaned.append(buffers, bytes, batches, nowMs);
    buffers = [];
    batches = [];
    bytes = 0;
  };
  const emit = async (out: Buffer, h: HeaderInfo): Promise<void> => {
    buffers.push(out);
    batches.push({ size: out.length, lastOffset: h.lastOffset, maxTimestamp: readInt64(out, MAX_TIMESTAMP_OFFSET) });
    bytes += out.length;
    if (bytes >= WRITE_CHUNK_BYTES) await flushWrites();
  };
  try {
    for (const seg of group) {
      await forEachBatch(seg, async (buf, pos, h) => {
        if (host.stopping()) throw new Aborted("log closing");
        const size = batchSizeAt(buf, pos);
        const original = buf.subarray(pos, pos + size);
        if (isControlOrTransactional(buf, pos)) return emit(original, h);
        const batch = await decodeRecordBatchAsync(buf, pos, { verifyCrc: false });
        const kept = batch.records.filter((r) => {
          if (r.key === null) return true;
          const offset = h.baseOffset + r.offsetDelta;
          const latest = map.get(r.key);
          if (latest > offset) return false;
          if (r.value === null && tombstoneExpired(checkpoint.passes, offset, nowMs, host.config.deleteRetentionMs)) {
            stats.tombstonesRemoved++;
            return false;
          }
          return true;
        });
        stats.recordsRemoved += batch.records.length - kept.length;
        if (kept.length === batch.records.length) return emit(original, h);
        if (kept.length > 0) return emit(await rebuildBatch(batch, kept), h);
        // Nothing left: the batch goes, except (as Kafka's cleaner) the last batch of an
        // idempotent/transactional producer, kept header-only so that its sequence and epoch
        // survive. Without a producer nothing stays: clients such as librdkafka 2.0 fail on a
        // fetch response made only of record-less batches. The cleaned segment may then end
        // before the next segment's base offset; reads skip the gap to the next segment.
        if (h.producerId >= 0 && ctx.lastBatchOfProducer.get(h.producerId) === h.baseOffset)
          return emit(emptyBatchLike(buf, pos), h);
        stats.batchesRemoved++;
      });
    }
    await flushWrites();
    cleaned.lastModifiedMs = Math.max(...group.map((s) => s.lastModifiedMs));
    await cleaned.onBecomeInactive();
    await cleaned.flush();
    return cleaned;
  } catch (e) {
    await cleaned.delete();
    throw e;
  }
}
