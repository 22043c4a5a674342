// Which of the oldest segments retention may delete (Kafka's deleteOldSegments predicates:
// retention.ms, then retention.bytes, then log start offset). Pure.

export interface SegmentFacts {
  baseOffset: number;
  size: number;
  maxTimestamp: number;
  lastModifiedMs: number;
}

export interface RetentionInput {
  nowMs: number;
  retentionMs: number;
  retentionBytes: number;
  logStartOffset: number;
  logEndOffset: number;
  /** Segments reaching above this offset are kept (Kafka deletes only below the high watermark). */
  highWatermark: number;
}

export interface RetentionDecision {
  count: number;
  reason: "retention.ms" | "retention.bytes" | "logStartOffset" | undefined;
}

/** Number of segments, from the oldest, to delete. */
export function selectDeletableSegments(segments: readonly SegmentFacts[], input: RetentionInput): RetentionDecision {
  const n = segments.length;
  const eligible = (i: number): boolean => {
    const seg = segments[i]!;
    const next = segments[i + 1];
    if (next === undefined && seg.size === 0) return false;
    const upperBound = next === undefined ? input.logEndOffset : next.baseOffset;
    return upperBound <= input.highWatermark;
  };
  let count = 0;
  let reason: RetentionDecision["reason"];
  if (input.retentionMs >= 0) {
    while (count < n && eligible(count)) {
      const seg = segments[count]!;
      const largest = seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.lastModifiedMs;
      if (input.nowMs - largest <= input.retentionMs) break;
      count++;
      reason = "retention.ms";
    }
  }
  if (input.retentionBytes >= 0) {
    let diff = -input.retentionBytes;
    for (let i = count; i < n; i++) diff += segments[i]!.size;
    while (count < n && eligible(count) && diff - segments[count]!.size >= 0) {
      diff -= segments[count]!.size;
      count++;
      reason = "retention.bytes";
    }
  }
  while (count < n && eligible(count)) {
    const next = segments[count + 1];
    if (next === undefined || next.baseOffset > input.logStartOffset) break;
    count++;
    reason = "logStartOffset";
  }
  return { count, reason };
}
