// Decodes the `records` bytes of one partition in a Fetch response into Messages: batches are
// walked in place, a truncated last batch (Fetch may cut one) is ignored, CRCs are checked,
// compressed batches are inflated (zstd asynchronously), control batches and aborted transactions
// (read_committed) are skipped.
import { CompressionCodec, decompress, decompressSync, hasSyncPath, isBatchCrcValid } from "@gregor/protocol";
import { GregorClientError } from "../errors.js";
import { Message, type MessageHeader } from "../message.js";

const NO_HEADERS: readonly MessageHeader[] = Object.freeze([]) as readonly MessageHeader[];
let pos = 0;

function varint(b: Buffer): number {
  let u = 0;
  let shift = 0;
  let x: number;
  do {
    x = b[pos++]!;
    u |= (x & 0x7f) << shift;
    shift += 7;
  } while (x & 0x80 && shift < 35);
  return (u >>> 1) ^ -(u & 1);
}

function varlong(b: Buffer): number {
  let u = 0;
  let mul = 1;
  let x: number;
  do {
    x = b[pos++]!;
    u += (x & 0x7f) * mul;
    mul *= 128;
  } while (x & 0x80 && mul < 2 ** 70);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
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
}

export function decodeRecords(buf: Buffer, ctx: DecodeContext): DecodedRecords | Promise<DecodedRecords> {
  const messages: Message[] = [];
  let nextOffset = ctx.fetchOffset;
  let at = 0;
  let needsAsync = false;
  const refs: BatchRef[] = [];
  while (at + 61 <= buf.length) {
    const batchLength = buf.readInt32BE(at + 8);
    const end = at + 12 + batchLength;
    if (end > buf.length) break;
    if (buf[at + 16] !== 2) throw new GregorClientError(`${ctx.topic}-${ctx.partition}: record batch magic ${buf[at + 16]} is not supported (only v2)`);
    refs.push({ start: at, end });
    if (!hasSyncPath((buf.readInt16BE(at + 21) & 7) as CompressionCodec)) needsAsync = true;
    at = end;
  }
  if (!needsAsync) {
    for (const r of refs) nextOffset = decodeBatch(buf, r, ctx, messages, null, nextOffset);
    return { messages, nextOffset, sizeBytes: at };
  }
  return (async () => {
    for (const r of refs) {
      const codec = (buf.readInt16BE(r.start + 21) & 7) as CompressionCodec;
      const inflated = codec === CompressionCodec.None ? null : await decompress(codec, buf.subarray(r.start + 61, r.end));
      nextOffset = decodeBatch(buf, r, ctx, messages, inflated, nextOffset);
    }
    return { messages, nextOffset, sizeBytes: at };
  })();
}

function decodeBatch(buf: Buffer, r: BatchRef, ctx: DecodeContext, out: Message[], inflated: Buffer | null, nextOffset: bigint): bigint {
  const s = r.start;
  const baseOffset = buf.readBigInt64BE(s);
  const lastOffsetDelta = buf.readInt32BE(s + 23);
  const batchNext = baseOffset + BigInt(lastOffsetDelta) + 1n;
  if (batchNext <= ctx.fetchOffset) return nextOffset;
  if (ctx.checkCrcs && !isBatchCrcValid(buf, s)) throw new GregorClientError(`${ctx.topic}-${ctx.partition}: corrupt record batch at offset ${baseOffset} (CRC mismatch)`, true);
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
  const skipBelow = ctx.fetchOffset > baseOffset ? Number(ctx.fetchOffset - baseOffset) : 0;
  for (let i = 0; i < count && pos < end; i++) {
    const len = varint(b);
    const recEnd = pos + len;
    pos++; // attributes
    const tsDelta = varlong(b);
    const offsetDelta = varint(b);
    const keyLen = varint(b);
    let key: Buffer | null = null;
    if (keyLen >= 0) {
      key = b.subarray(pos, pos + keyLen);
      pos += keyLen;
    }
    const valueLen = varint(b);
    let value: Buffer | null = null;
    if (valueLen >= 0) {
      value = b.subarray(pos, pos + valueLen);
      pos += valueLen;
    }
    const nh = varint(b);
    let headers = NO_HEADERS;
    if (nh > 0) {
      const hs: MessageHeader[] = new Array<MessageHeader>(nh);
      for (let h = 0; h < nh; h++) {
        const kl = varint(b);
        const hk = b.toString("utf8", pos, pos + kl);
        pos += kl;
        const vl = varint(b);
        let hv: Buffer | null = null;
        if (vl >= 0) {
          hv = b.subarray(pos, pos + vl);
          pos += vl;
        }
        hs[h] = { key: hk, value: hv };
      }
      headers = hs;
    }
    if (pos !== recEnd || recEnd > end) throw new GregorClientError(`${topic}-${partition}: malformed record at offset ${baseOffset + BigInt(offsetDelta)}`);
    if (offsetDelta < skipBelow) continue;
    out.push(new Message(topic, partition, baseOffset, offsetDelta, logAppend ? maxTimestamp : baseTimestamp + tsDelta, key, value, headers, leaderEpoch));
  }
  return batchNext;
}
