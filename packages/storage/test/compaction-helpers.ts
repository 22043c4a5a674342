// What the compaction tests share: the log options they start from, puts of keyed records, and
// the log read back as (offset, key, value) records.
import { decodeRecordBatch } from "@gregor/protocol";
import type { Log, LogOptions } from "../src/index.js";
import { makeBatch } from "./batches.js";

export const DAY = 24 * 60 * 60 * 1000;
export const T0 = 1_700_000_000_000;
export const OPTIONS: LogOptions = {
  cleanupPolicy: "compact",
  segmentBytes: 600,
  indexIntervalBytes: 100,
  tailCacheBytes: 0,
};

export interface Rec {
  offset: number;
  key: string | null;
  value: string | null;
}

/** Every record of the log, decoded, in offset order. */
export async function records(log: Log): Promise<Rec[]> {
  const out: Rec[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const r = await log.read(next, 1 << 20);
    if (r.bytes === 0) break;
    for (const buf of r.buffers) {
      let pos = 0;
      while (pos < buf.length) {
        const b = decodeRecordBatch(buf, pos);
        // Compaction leaves no record-less batch, except a producer's last (producer state).
        if (b.records.length === 0 && b.producerId < 0n) throw new Error(`record-less batch at offset ${b.baseOffset}`);
        for (const rec of b.records) {
          out.push({
            offset: Number(b.baseOffset) + rec.offsetDelta,
            key: rec.key?.toString() ?? null,
            value: rec.value?.toString() ?? null,
          });
        }
        next = Number(b.baseOffset) + b.lastOffsetDelta + 1;
        pos += 12 + b.batchLength;
      }
    }
  }
  return out;
}

export async function put(log: Log, entries: [string | null, string | null][], ts = T0): Promise<void> {
  await log.append(
    makeBatch(
      entries.map(([key, value]) => ({ key, value })),
      { baseTimestamp: ts },
    ),
  );
}
