// Pure decisions of the log cleaner: which part of a log is cleanable, how dirty it is, which log
// to clean first, how cleaned segments are grouped, and when a tombstone may go.
import { MAX_RELATIVE_OFFSET } from "../internal/batch.js";

export interface SegmentSummary {
  baseOffset: number;
  /** One past the last offset in the segment (baseOffset when empty). */
  nextOffset: number;
  size: number;
  /** Largest batch maxTimestamp (-1 when unknown/empty). */
  maxTimestamp: number;
  /** maxTimestamp of the first batch (-1 when empty). */
  firstBatchTimestamp: number;
}

export interface CleanableInput {
  /** All segments, oldest first, the active one last. */
  segments: readonly SegmentSummary[];
  logStartOffset: number;
  /** From the cleaner checkpoint (clamped here to [logStartOffset, ...]). */
  firstDirtyOffset: number;
  /** Nothing at or above it is cleaned (the high watermark; the log end offset by default). */
  highWatermark: number;
  nowMs: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
}

export interface CleanableRange {
  firstDirtyOffset: number;
  /** Segment boundary: segments below it may be rewritten; it is never above the active segment. */
  firstUncleanableOffset: number;
  /** Bytes of segments wholly below firstDirtyOffset (already cleaned once). */
  cleanBytes: number;
  /** Bytes of segments from the one holding firstDirtyOffset up to firstUncleanableOffset. */
  dirtyBytes: number;
  /** dirtyBytes / (cleanBytes + dirtyBytes); 0 when nothing is cleanable. */
  dirtyRatio: number;
  /** The oldest dirty batch is older than max.compaction.lag.ms: clean whatever the ratio. */
  overdue: boolean;
}

/** Kafka's LogCleanerManager.cleanableOffsets and the dirty ratio of a log. */
export function cleanableRange(input: CleanableInput): CleanableRange {
  const segs = input.segments;
  const active = segs[segs.length - 1];
  let firstDirtyOffset = Math.max(input.firstDirtyOffset, input.logStartOffset);
  if (active === undefined) {
    return {
      firstDirtyOffset,
      firstUncleanableOffset: firstDirtyOffset,
      cleanBytes: 0,
      dirtyBytes: 0,
      dirtyRatio: 0,
      overdue: false,
    };
  }
  if (firstDirtyOffset > active.nextOffset) firstDirtyOffset = input.logStartOffset;
  let firstUncleanableOffset = active.baseOffset;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    const upper = segs[i + 1]!.baseOffset;
    const tooRecent = input.minCompactionLagMs > 0 && seg.maxTimestamp > input.nowMs - input.minCompactionLagMs;
    if (upper > input.highWatermark || tooRecent) {
      firstUncleanableOffset = seg.baseOffset;
      break;
    }
  }
  let cleanBytes = 0;
  let dirtyBytes = 0;
  let overdue = false;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.baseOffset >= firstUncleanableOffset) break;
    const upper = segs[i + 1]?.baseOffset ?? seg.nextOffset;
    if (upper <= input.logStartOffset) continue;
    if (upper <= firstDirtyOffset) {
      cleanBytes += seg.size;
    } else {
      dirtyBytes += seg.size;
      if (seg.firstBatchTimestamp >= 0 && input.nowMs - seg.firstBatchTimestamp > input.maxCompactionLagMs)
        overdue = true;
    }
  }
  if (firstUncleanableOffset < firstDirtyOffset) firstUncleanableOffset = firstDirtyOffset;
  const total = cleanBytes + dirtyBytes;
  return {
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    dirtyBytes,
    dirtyRatio: total === 0 ? 0 : dirtyBytes / total,
    overdue,
  };
}

export interface CleaningCandidate<T> {
  log: T;
  range: CleanableRange;
  minCleanableDirtyRatio: number;
}

/** Kafka's grabFilthiestCompactedLog: overdue logs first, then the highest dirty ratio above its minimum. */
export function selectDirtiest<T>(candidates: readonly CleaningCandidate<T>[]): CleaningCandidate<T> | undefined {
  let best: CleaningCandidate<T> | undefined;
  const rank = (c: CleaningCandidate<T>): number => (c.range.overdue ? 1 + c.range.dirtyRatio : c.range.dirtyRatio);
  for (const c of candidates) {
    if (c.range.dirtyBytes === 0) continue;
    if (!c.range.overdue && c.range.dirtyRatio < c.minCleanableDirtyRatio) continue;
    if (best === undefined || rank(c) > rank(best)) best = c;
  }
  return best;
}

/**
 * Consecutive segments below `upToOffset` merged into groups that fit one segment (total size
 * <= maxSegmentBytes, offsets within a 32-bit relative range); each group becomes one cleaned
 * segment. Returns index ranges [from, to) into `segments`.
 */
export function groupSegments(
  segments: readonly SegmentSummary[],
  fromIndex: number,
  upToOffset: number,
  maxSegmentBytes: number,
): [number, number][] {
  const groups: [number, number][] = [];
  let i = fromIndex;
  while (i < segments.length - 1 && segments[i]!.baseOffset < upToOffset) {
    const first = segments[i]!;
    let size = first.size;
    let j = i + 1;
    while (j < segments.length - 1) {
      const next = segments[j]!;
      if (next.baseOffset >= upToOffset) break;
      if (size + next.size > maxSegmentBytes) break;
      if (segments[j + 1]!.baseOffset - 1 - first.baseOffset > MAX_RELATIVE_OFFSET) break;
      size += next.size;
      j++;
    }
    groups.push([i, j]);
    i = j;
  }
  return groups;
}

/** When the cleaner passed over which offsets: all offsets below `cleanedUpTo` were cleaned by `timeMs`. */
export interface CleaningPass {
  cleanedUpTo: number;
  timeMs: number;
}

export const MAX_CLEANING_PASSES = 32;

/**
 * A tombstone at `offset` may be removed once delete.retention.ms has passed since the first
 * cleaning pass that covered it (KIP-534's delete horizon). Undefined history entry: never.
 */
export function tombstoneExpired(
  passes: readonly CleaningPass[],
  offset: number,
  nowMs: number,
  deleteRetentionMs: number,
): boolean {
  for (const p of passes) {
    if (offset < p.cleanedUpTo) return nowMs - p.timeMs >= deleteRetentionMs;
  }
  return false;
}

/**
 * Appends a pass and bounds the history: merging the two oldest passes keeps the later time for
 * both ranges, which only keeps tombstones longer.
 */
export function recordPass(passes: readonly CleaningPass[], pass: CleaningPass): CleaningPass[] {
  // Offsets already covered keep the time of the pass that covered them first.
  const out = [...passes];
  if (out.length === 0 || out[out.length - 1]!.cleanedUpTo < pass.cleanedUpTo) out.push(pass);
  while (out.length > MAX_CLEANING_PASSES) out.splice(0, 2, out[1]!);
  return out;
}

/** After a truncation to `endOffset`: nothing at or above it has been cleaned. */
export function truncatePasses(passes: readonly CleaningPass[], endOffset: number): CleaningPass[] {
  const out: CleaningPass[] = [];
  for (const p of passes) {
    if (p.cleanedUpTo <= endOffset) out.push(p);
    else {
      if (out.length === 0 || out[out.length - 1]!.cleanedUpTo < endOffset)
        out.push({ cleanedUpTo: endOffset, timeMs: p.timeMs });
      break;
    }
  }
  return out;
}

export interface CleanerCheckpoint {
  firstDirtyOffset: number;
  passes: CleaningPass[];
}

/** Text format, like the other checkpoints: version `0`, count, then lines. */
export function serializeCleanerCheckpoint(c: CleanerCheckpoint): string {
  const lines = [`firstDirtyOffset ${c.firstDirtyOffset}`, ...c.passes.map((p) => `pass ${p.cleanedUpTo} ${p.timeMs}`)];
  return `0\n${lines.length}\n${lines.join("\n")}\n`;
}

export function parseCleanerCheckpoint(text: string | undefined): CleanerCheckpoint | undefined {
  if (text === undefined) return undefined;
  const lines = text.split("\n").filter((l) => l !== "");
  if (lines[0] !== "0" || Number(lines[1]) !== lines.length - 2) return undefined;
  let firstDirtyOffset: number | undefined;
  const passes: CleaningPass[] = [];
  for (const line of lines.slice(2)) {
    const [kind, a, b] = line.split(" ");
    if (kind === "firstDirtyOffset") firstDirtyOffset = Number(a);
    else if (kind === "pass") passes.push({ cleanedUpTo: Number(a), timeMs: Number(b) });
    else return undefined;
  }
  if (firstDirtyOffset === undefined || !Number.isSafeInteger(firstDirtyOffset)) return undefined;
  if (passes.some((p) => !Number.isSafeInteger(p.cleanedUpTo) || !Number.isFinite(p.timeMs))) return undefined;
  return { firstDirtyOffset, passes };
}
