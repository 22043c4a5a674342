// Reads from segment files and ListOffsets lookups.
import type { LeaderEpochCache } from "../leader-epoch-cache.js";
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, type OffsetAndTimestamp } from "../list-offsets.js";
import { LAST_OFFSET_DELTA_OFFSET, RECORD_BATCH_OVERHEAD, batchSizeAt } from "@gregor/protocol";
import { readInt64 } from "./batch.js";
import type { HeaderInfo } from "./file-scan.js";
import { findRecord } from "./records.js";
import type { LogSegment } from "./segment.js";

export interface FileRead {
  buffers: Buffer[];
  bytes: number;
  firstOffset: number;
}

/** Index of the last segment whose baseOffset <= offset (0 when none). */
export function floorSegment(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Whole batches from the segment holding `offset` (Kafka reads one segment per fetch): one
 * positional read of up to `maxBytes` (at least the first batch), cut in memory at the last whole
 * batch below `upperOffset`.
 */
export async function readFromSegments(
  segments: readonly LogSegment[],
  offset: number,
  maxBytes: number,
  upperOffset: number,
): Promise<FileRead | undefined> {
  for (let i = floorSegment(segments, offset); i < segments.length; i++) {
    const seg = segments[i]!;
    seg.acquire();
    try {
      const end = seg.size;
      const first = await seg.translateOffset(offset, end);
      if (first === undefined) continue;
      if (first.lastOffset >= upperOffset) return undefined;
      const buf = await seg.read(first.position, Math.max(first.size, Math.min(maxBytes, end - first.position)));
      const length = wholeBatchesBelow(buf, upperOffset);
      if (length === 0) return undefined;
      return { buffers: [buf.subarray(0, length)], bytes: length, firstOffset: first.baseOffset };
    } finally {
      seg.release();
    }
  }
  return undefined;
}

/** Bytes of the whole batches at the start of `buf` whose last offset is below `upperOffset`. */
function wholeBatchesBelow(buf: Buffer, upperOffset: number): number {
  let pos = 0;
  while (buf.length - pos >= RECORD_BATCH_OVERHEAD) {
    const size = batchSizeAt(buf, pos);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) break;
    if (readInt64(buf, pos) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) >= upperOffset) break;
    pos += size;
  }
  return pos;
}

interface LookupContext {
  logStartOffset: number;
  logEndOffset: number;
  epochCache: LeaderEpochCache;
}

export async function fetchOffsetByTimestamp(
  segments: readonly LogSegment[],
  target: number,
  ctx: LookupContext,
): Promise<OffsetAndTimestamp | undefined> {
  if (target === EARLIEST_TIMESTAMP) {
    const epoch = ctx.epochCache.epochForOffset(ctx.logStartOffset) ?? -1;
    return { offset: ctx.logStartOffset, timestamp: -1, leaderEpoch: epoch };
  }
  if (target === LATEST_TIMESTAMP) {
    return { offset: ctx.logEndOffset, timestamp: -1, leaderEpoch: ctx.epochCache.latestEpoch ?? -1 };
  }
  if (target === MAX_TIMESTAMP) return maxTimestampLookup(segments);
  if (target < 0) throw new RangeError(`unsupported ListOffsets timestamp ${target}`);
  const seg = segments.find((s) => s.maxTimestamp >= target);
  if (seg === undefined) return undefined;
  const entry = seg.timeIndex.lookupBelow(target);
  const from = entry === undefined ? 0 : seg.offsetIndex.lookup(entry.offset);
  let found: HeaderInfo | undefined;
  seg.acquire();
  try {
    await seg.headersFrom(from, seg.size, (h) => {
      if (h.maxTimestamp >= target && h.lastOffset >= ctx.logStartOffset) {
        found = h;
        return false;
      }
      return true;
    });
    if (found === undefined) return undefined;
    const record = await recordIn(seg, found, (ts) => ts >= target);
    return {
      offset: Math.max(record.offset, ctx.logStartOffset),
      timestamp: record.timestamp,
      leaderEpoch: found.partitionLeaderEpoch,
    };
  } finally {
    seg.release();
  }
}

async function maxTimestampLookup(segments: readonly LogSegment[]): Promise<OffsetAndTimestamp | undefined> {
  let best: LogSegment | undefined;
  for (const s of segments)
    if (s.maxTimestamp >= 0 && (best === undefined || s.maxTimestamp > best.maxTimestamp)) best = s;
  if (best === undefined) return undefined;
  best.acquire();
  try {
    const h = await best.translateOffset(best.offsetOfMaxTimestamp);
    if (h === undefined) return undefined;
    const maxTimestamp = best.maxTimestamp;
    const record = await recordIn(best, h, (ts) => ts === maxTimestamp);
    return { offset: record.offset, timestamp: record.timestamp, leaderEpoch: h.partitionLeaderEpoch };
  } finally {
    best.release();
  }
}

async function recordIn(
  seg: LogSegment,
  h: HeaderInfo,
  match: (ts: number) => boolean,
): Promise<{ offset: number; timestamp: number }> {
  const batch = await seg.read(h.position, h.size);
  try {
    const r = await findRecord(batch, 0, h.baseOffset, match);
    if (r !== undefined) return r;
  } catch {
    // Malformed records (or a body that does not decompress) inside a CRC-valid batch: fall back
    // to batch granularity.
  }
  return { offset: h.baseOffset, timestamp: h.maxTimestamp };
}
