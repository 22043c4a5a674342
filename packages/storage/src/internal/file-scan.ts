// Sequential walks over a segment file. `scanHeaders` reads only batch headers (for reads and
// lookups); `scanValid` reads everything and checks each batch's framing and CRC (recovery).
import type { FileHandle } from "node:fs/promises";
import {
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  isBatchCrcValid,
} from "@gregor/protocol";
import { MAX_RELATIVE_OFFSET, readInt64 } from "./batch.js";

export interface HeaderInfo {
  /** Position in the file. */
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** -1 when the batch is not idempotent. */
  producerId: number;
}

const HEADER_CHUNK_BYTES = 64 * 1024;

export async function readFully(fh: FileHandle, buf: Buffer, position: number, length = buf.length): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

function headerAt(buf: Buffer, at: number, position: number): HeaderInfo {
  const baseOffset = readInt64(buf, at);
  return {
    position,
    size: LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_OFFSET),
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET),
    maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(at + MAGIC_OFFSET),
    producerId: readInt64(buf, at + PRODUCER_ID_OFFSET),
  };
}

/**
 * Calls `visit` with each batch header from `from` until `end` (exclusive) or until `visit`
 * returns false. Stops early at a header that does not look like a v2 batch (returns its position).
 */
export async function scanHeaders(
  fh: FileHandle,
  from: number,
  end: number,
  visit: (h: HeaderInfo) => boolean,
): Promise<number> {
  const chunk = Buffer.allocUnsafe(Math.min(HEADER_CHUNK_BYTES, Math.max(RECORD_BATCH_OVERHEAD, end - from)));
  let chunkStart = 0;
  let chunkLength = 0;
  let position = from;
  let lastSize = 0;
  while (position + RECORD_BATCH_OVERHEAD <= end) {
    if (position < chunkStart || position + RECORD_BATCH_OVERHEAD > chunkStart + chunkLength) {
      // After a batch larger than the chunk, the next one is likely large too: read its header only.
      const want = lastSize > chunk.length ? RECORD_BATCH_OVERHEAD : chunk.length;
      chunkStart = position;
      chunkLength = await readFully(fh, chunk, position, Math.min(want, end - position));
      if (chunkLength < RECORD_BATCH_OVERHEAD) return position;
    }
    const h = headerAt(chunk, position - chunkStart, position);
    if (h.magic !== CURRENT_MAGIC || h.size < RECORD_BATCH_OVERHEAD || h.lastOffset < h.baseOffset) return position;
    if (position + h.size > end) return position;
    if (!visit(h)) return position;
    position += h.size;
    lastSize = h.size;
  }
  return position;
}

export interface ScanResult {
  /** End of the last valid batch. */
  validBytes: number;
  /** Why the scan stopped before the end of the file, if it did. */
  problem: string | undefined;
}

/**
 * Recovery scan: validates framing, magic, CRC, offset monotonicity and relative-offset range of
 * each batch from `from` to `end`, calling `visit` for each valid one.
 */
export async function scanValid(
  fh: FileHandle,
  segmentBaseOffset: number,
  from: number,
  end: number,
  chunkBytes: number,
  visit: (h: HeaderInfo) => void,
): Promise<ScanResult> {
  let buf = Buffer.allocUnsafe(Math.max(RECORD_BATCH_OVERHEAD, Math.min(chunkBytes, end - from)));
  let bufStart = 0;
  let bufLength = 0;
  let position = from;
  let nextOffset = segmentBaseOffset;
  while (position < end) {
    if (end - position < RECORD_BATCH_OVERHEAD) {
      return { validBytes: position, problem: `torn batch header (${end - position} bytes)` };
    }
    if (position + RECORD_BATCH_OVERHEAD > bufStart + bufLength || position < bufStart) {
      bufStart = position;
      bufLength = await readFully(fh, buf, position, Math.min(buf.length, end - position));
    }
    let h = headerAt(buf, position - bufStart, position);
    if (h.magic !== CURRENT_MAGIC) return { validBytes: position, problem: `bad magic ${h.magic}` };
    if (h.size < RECORD_BATCH_OVERHEAD) return { validBytes: position, problem: `bad batch length ${h.size}` };
    if (position + h.size > end)
      return { validBytes: position, problem: `torn batch (${h.size} bytes, ${end - position} left)` };
    if (position + h.size > bufStart + bufLength) {
      if (h.size > buf.length) buf = Buffer.allocUnsafe(h.size);
      bufStart = position;
      bufLength = await readFully(fh, buf, position, Math.min(buf.length, end - position));
      h = headerAt(buf, 0, position);
    }
    if (!isBatchCrcValid(buf, position - bufStart)) return { validBytes: position, problem: "CRC mismatch" };
    if (h.baseOffset < nextOffset) {
      return { validBytes: position, problem: `offset ${h.baseOffset} below expected ${nextOffset}` };
    }
    if (h.lastOffset < h.baseOffset || h.lastOffset - segmentBaseOffset > MAX_RELATIVE_OFFSET) {
      return { validBytes: position, problem: `offsets ${h.baseOffset}..${h.lastOffset} out of segment range` };
    }
    visit(h);
    nextOffset = h.lastOffset + 1;
    position += h.size;
  }
  return { validBytes: position, problem: undefined };
}
