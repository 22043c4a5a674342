// Appending a leader's fetched record set to the follower's log: whole v2 batches, verbatim. The
// leader answers with the batch that contains the fetch offset, so a batch may start below our log
// end (already held: skipped); a log that is empty after starting over inside a batch restarts at
// that batch's base offset (Kafka's UnexpectedAppendOffsetException handling). A non-empty log whose
// end falls inside a leader batch holds other batches than the leader there (batches move whole):
// that can only be a divergent tail the leader's epoch check could not see (its epoch history was
// trimmed with its log start), so the log is truncated to the batch's base and fetches again —
// Kafka fails the partition there instead. A trailing partial batch is left for the next fetch.
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from "@gregor/protocol";
import type { FollowerLog } from "./types.js";

export interface AppendOutcome {
  /** Batches appended (0 when everything was already held or partial). */
  batches: number;
  bytes: number;
  /** Set when the log was truncated instead (a leader batch straddled its end): the old end. */
  truncatedFrom?: number;
}

export async function appendFollowerRecords(log: FollowerLog, records: Buffer): Promise<AppendOutcome> {
  const logEnd = log.logEndOffset;
  let start = -1;
  let end = 0;
  let batches = 0;
  let firstBase = 0;
  for (let pos = 0; pos + RECORD_BATCH_OVERHEAD <= records.length; ) {
    const size = LOG_OVERHEAD + records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > records.length) break;
    const base = Number(records.readBigInt64BE(pos));
    const last = base + records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    if (last >= logEnd && start < 0) {
      start = pos;
      firstBase = base;
    }
    if (start >= 0) batches++;
    pos += size;
    end = pos;
  }
  if (start < 0 || batches === 0) return { batches: 0, bytes: 0 };
  if (firstBase < logEnd) {
    if (log.logEndOffset !== log.logStartOffset) {
      await log.truncateTo(firstBase);
      return { batches: 0, bytes: 0, truncatedFrom: logEnd };
    }
    await log.truncateFullyAndStartAt(firstBase);
  }
  const slice = records.subarray(start, end);
  await log.appendAsFollower(slice);
  return { batches, bytes: slice.length };
}
