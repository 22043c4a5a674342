// A segment's index loading and its tail recomputation: the facts its last batches decide (next
// offset, max timestamp) are taken from the last index entries, then the batches after the last
// offset index entry are scanned. LogSegment.loadIndexes and truncateTo share the recomputation.
import { readFile, type FileHandle } from "node:fs/promises";
import { scanHeaders, type HeaderInfo } from "./file-scan.js";
import { OffsetIndex } from "./offset-index.js";
import { TimeIndex } from "./time-index.js";

/** The parts of a segment the tail recomputation reads and sets. */
export interface SegmentTail {
  readonly baseOffset: number;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

/**
 * Reads and sanity-checks a segment's index files; undefined when one is missing or fails its check.
 * `upperBoundOffset` is the next segment's base offset (Infinity for the last segment).
 */
export async function loadIndexFiles(
  segment: {
    readonly baseOffset: number;
    readonly indexPath: string;
    readonly timeIndexPath: string;
    readonly size: number;
  },
  maxIndexBytes: number,
  upperBoundOffset: number,
): Promise<{ offsetIndex: OffsetIndex; timeIndex: TimeIndex } | undefined> {
  const { baseOffset, indexPath, timeIndexPath, size } = segment;
  const [indexData, timeData] = await Promise.all([readOptional(indexPath), readOptional(timeIndexPath)]);
  if (indexData === undefined || timeData === undefined) return undefined;
  const offsetIndex = OffsetIndex.load(baseOffset, maxIndexBytes, indexData, size);
  const timeIndex = TimeIndex.load(baseOffset, maxIndexBytes, timeData, upperBoundOffset);
  if (offsetIndex === undefined || timeIndex === undefined) return undefined;
  return { offsetIndex, timeIndex };
}

/**
 * Sets the tail facts from the indexes (the last offset index entry, the last time index entry) and
 * returns the file position the rest is scanned from: the last offset index entry's (0 without one).
 */
export function tailFromIndexes(s: SegmentTail): number {
  const n = s.offsetIndex.entries;
  const last = s.timeIndex.lastEntry();
  s.maxTimestamp = last?.timestamp ?? -1;
  s.offsetOfMaxTimestamp = last?.offset ?? s.baseOffset;
  s.nextOffset = n > 0 ? s.offsetIndex.offsetAt(n - 1) : s.baseOffset;
  return n > 0 ? s.offsetIndex.positionAt(n - 1) : 0;
}

/**
 * Scans the batch headers from `from` to `end`, moving the tail facts past each batch. `check` sees
 * each header first; false stops the scan after that batch. Returns where the scan stopped.
 */
export function scanTail(
  fh: FileHandle,
  s: SegmentTail,
  from: number,
  end: number,
  check?: (h: HeaderInfo) => boolean,
): Promise<number> {
  return scanHeaders(fh, from, end, (h) => {
    const go = check === undefined || check(h);
    if (h.maxTimestamp > s.maxTimestamp) {
      s.maxTimestamp = h.maxTimestamp;
      s.offsetOfMaxTimestamp = h.lastOffset;
    }
    s.nextOffset = h.lastOffset + 1;
    return go;
  });
}

/** The max timestamp of the first batch below `end` (-1 when there is none). */
export async function firstBatchTimestampOf(fh: FileHandle, end: number): Promise<number> {
  let timestamp = -1;
  await scanHeaders(fh, 0, end, (h) => {
    timestamp = h.maxTimestamp;
    return false;
  });
  return timestamp;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
