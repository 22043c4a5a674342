// Decodes the `records` bytes of one partition in a Fetch response into Messages: batches are
// walked in place, a truncated last batch (Fetch may cut one) is ignored, CRCs are checked,
// compressed batches are inflated (zstd asynchronously), control batches and aborted transactions
// (read_committed) are skipped. Each record is validated (lengths inside the record) but only its
// positions are kept: Message slices key/value/headers on access. scanRecords() reads batch headers
// only, so the consumer can fetch ahead and decode records when the application takes them.
import {
  CompressionCodec,
  CorruptRecordError,
  decompress,
  decompressSync,
  hasSyncPath,
  isBatchCrcValid,
  readVarint,
  readVarlong,
} from "@gregor/protocol";
import { GregorClientError } from "../errors.js";
import { Message, type BatchInfo } from "../message.js";

// The decode position, shared by the helpers below so a record's fields are read without
// allocating (no tuple per varint); `next` is protocol's scratch for the position after a varint.
let pos = 0;
const next = new Int32Array(1);

function varint(b: Buffer): number {
  const value = readVarint(b, pos, next);
  pos = next[0]!;
  return value;
}

function varlong(b: Buffer): number {
  const value = readVarlong(b, pos, next);
  pos = next[0]!;
  return value;
}

function int64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
}

export interface DecodeContext {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  checkCrcs: boolean;
  /** read_committed: producer id -> first offset of an aborted transaction. */
  aborted: { producerId: bigint; firstOffset: bigint }[] | null;
}

interface BatchRef {
  start: number;
  end: number;
}

/** Result: messages and the offset after the last complete batch (the next fetch offset). */
export interface DecodedRecords {
  messages: Message[];
  nextOffset: bigint;
  /** Bytes that were consumed (for backpressure accounting). */
  sizeBytes: number;
  /** Where the next decodeRecords() call on this buffer starts (buf.length when all was read). */
  resumeAt: number;
}

export interface ScannedRecords {
  /** The offset after the last complete batch (the next fetch offset). */
  nextOffset: bigint;
  /** Bytes of complete batches. */
  sizeBytes: number;
}

/** Walks the batch headers only: where the next fetch starts and how many bytes are complete. */
export function scanRecords(buf: Buffer, ctx: DecodeContext): ScannedRecords {
  let nextOffset = ctx.fetchOffset;
  let at = 0;
  while (at + 61 <= buf.length) {
    const end = at + 12 + buf.readInt32BE(at + 8);
    if (end > buf.length) break;
    if (buf[at + 16] !== 2)
      throw new GregorClientError(
        `${ctx.topic}-${ctx.partition}: record batch magic ${buf[at + 16]} is not supported (only v2)`,
      );
    const batchNext = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + 23)) + 1n;
    if (batchNext > nextOffset) nextOffset = batchNext;
    at = end;
  }
  return { nextOffset, sizeBytes: at };
}

/**
 * Decodes whole record batches from byte `from` on, stopping after the batch that brings the message
 * count to `maxMessages` or more; `resumeAt` says where the next call starts (buf.length: done).
 */
export function decodeRecords(
  buf: Buffer,
  ctx: DecodeContext,
  from = 0,
  maxMessages = Infinity,
): DecodedRecords | Promise<DecodedRecords> {
  const messages: Message[] = [];
  let nextOffset = ctx.fetchOffset;
  let at = from;
  let needsAsync = false;
  const refs: BatchRef[] = [];
  while (at + 61 <= buf.length) {
    const batchLength = buf.readInt32BE(at + 8);
    const end = at + 12 + batchLength;
    if (end > buf.length) break;
    if (buf[at + 16] !== 2)
      throw new GregorClientError(
        `${ctx.topic}-${ctx.partition}: record batch magic ${buf[at + 16]} is not supported (only v2)`,
      );
    refs.push({ start: at, end });
    if (!hasSyncPath((buf.readInt16BE(at + 21) & 7) as CompressionCodec)) needsAsync = true;
    at = end;
  }
  if (!needsAsync) {
    let resumeAt = at;
    for (const r of refs) {
      nextOffset = decodeBatch(buf, r, ctx, messages, null, nextOffset);
      if (messages.length >= maxMessages) {
        resumeAt = r.end;
        break;
      }
    }
    return { messages, nextOffset, sizeBytes: resumeAt - from, resumeAt };
  }
  return (async () => {
    let resumeAt = at;
    for (const r of refs) {
      const codec = (buf.readInt16BE(r.start + 21) & 7) as CompressionCodec;
      const inflated =
        codec === CompressionCodec.None ? null : await decompress(codec, buf.subarray(r.start + 61, r.end));
      nextOffset = decodeBatch(buf, r, ctx, messages, inflated, nextOffset);
      if (messages.length >= maxMessages) {
        resumeAt = r.end;
        break;
      }
    }
    return { messages, nextOffset, sizeBytes: resumeAt - from, resumeAt };
  })();
}

function decodeBatch(
  buf: Buffer,
  r: BatchRef,
  ctx: DecodeContext,
  out: Message[],
  inflated: Buffer | null,
  nextOffset: bigint,
): bigint {
  const s = r.start;
  const baseOffset = buf.readBigInt64BE(s);
  const lastOffsetDelta = buf.readInt32BE(s + 23);
  const batchNext = baseOffset + BigInt(lastOffsetDelta) + 1n;
  if (batchNext <= ctx.fetchOffset) return nextOffset;
  if (ctx.checkCrcs && !isBatchCrcValid(buf, s))
    throw new GregorClientError(
      `${ctx.topic}-${ctx.partition}: corrupt record batch at offset ${baseOffset} (CRC mismatch)`,
      true,
    );
  const attributes = buf.readInt16BE(s + 21);
  const isControl = (attributes & 0x20) !== 0;
  if (isControl) return batchNext;
  if ((attributes & 0x10) !== 0 && ctx.aborted !== null) {
    const pid = buf.readBigInt64BE(s + 43);
    if (ctx.aborted.some((a) => a.producerId === pid && a.firstOffset <= baseOffset)) return batchNext;
  }
  const leaderEpoch = buf.readInt32BE(s + 12);
  const logAppend = (attributes & 0x08) !== 0;
  const baseTimestamp = int64(buf, s + 27);
  const maxTimestamp = logAppend ? int64(buf, s + 35) : 0;
  const count = buf.readInt32BE(s + 57);
  const codec = attributes & 7;
  let b = buf;
  let end = r.end;
  pos = s + 61;
  if (codec !== 0) {
    b = inflated ?? decompressSync(codec as CompressionCodec, buf.subarray(s + 61, r.end));
    pos = 0;
    end = b.length;
  }
  const { topic, partition } = ctx;
  const info: BatchInfo = {
    topic,
    partition,
    baseOffset,
    baseTimestamp,
    logAppendTime: logAppend ? maxTimestamp : -1,
    leaderEpoch,
    src: b,
  };
  const skipBelow = ctx.fetchOffset > baseOffset ? Number(ctx.fetchOffset - baseOffset) : 0;
  // A varint running past the bytes is a malformed record, as is one whose lengths disagree.
  let i = 0;
  try {
    for (; i < count && pos < end; i++) {
      const len = varint(b);
      const recEnd = pos + len;
      pos++; // attributes
      const tsDelta = varlong(b);
      const offsetDelta = varint(b);
      const keyLen = varint(b);
      const keyAt = pos;
      if (keyLen > 0) pos += keyLen;
      const valueLen = varint(b);
      const valueAt = pos;
      if (valueLen > 0) pos += valueLen;
      const headersAt = pos;
      const headerCount = varint(b);
      for (let h = 0; h < headerCount && pos <= recEnd; h++) {
        const headerKeyLength = varint(b);
        if (headerKeyLength < 0)
          pos = recEnd + 1; // a header key is never null: malformed
        else pos += headerKeyLength;
        const headerValueLength = varint(b);
        if (headerValueLength > 0) pos += headerValueLength;
      }
      if (pos !== recEnd || recEnd > end)
        throw new GregorClientError(
          `${topic}-${partition}: malformed record at offset ${baseOffset + BigInt(offsetDelta)}`,
        );
      if (offsetDelta < skipBelow) continue;
      out.push(
        new Message(info, offsetDelta, tsDelta, keyAt, keyLen, valueAt, valueLen, headerCount > 0 ? headersAt : -1),
      );
    }
  } catch (e) {
    if (!(e instanceof CorruptRecordError)) throw e;
    // The i-th record of the batch (its offsetDelta was not readable).
    throw new GregorClientError(`${topic}-${partition}: malformed record at offset ${baseOffset + BigInt(i)}`);
  }
  return batchNext;
}
