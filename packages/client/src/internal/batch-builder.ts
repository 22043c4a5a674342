// Builds one magic-v2 record batch straight into one buffer: records are written in place as they
// arrive (no Buffer per record); the 61-byte header is filled when the batch is sealed. Compression
// runs once per batch; producer id, epoch and base sequence are stamped (and the CRC computed) when
// the batch is drained, so a retry resends the identical bytes (KIP-98).
import {
  CompressionCodec,
  compress,
  compressSync,
  computeBatchCrc,
  hasSyncPath,
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
} from "@gregor/protocol";

export const BATCH_HEADER_BYTES = 61;

export type Bytes = Buffer | string | null | undefined;

export interface HeaderInput {
  key: string;
  value: Buffer | string | null;
}

function byteLength(b: Bytes): number {
  if (b === null || b === undefined) return -1;
  return typeof b === "string" ? Buffer.byteLength(b) : b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Bytes, len: number): number {
  pos = writeVarint(buf, pos, len);
  if (len <= 0) return pos;
  if (typeof b === "string") buf.write(b, pos, len, "utf8");
  else (b as Buffer).copy(buf, pos);
  return pos + len;
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  buf.writeInt32BE(Math.floor(v / 4294967296), pos);
  buf.writeUInt32BE(v >>> 0, pos + 4);
}

export class BatchBuilder {
  private buf: Buffer;
  private pos = BATCH_HEADER_BYTES;
  count = 0;
  private firstTimestamp = 0;
  private maxTimestamp = 0;
  /** The wire bytes once sealed. */
  bytes: Buffer | null = null;

  constructor(private readonly capacity: number) {
    // Start small and double up to `capacity`: a lone record (linger 0) does not pin a whole batch.size.
    this.buf = Buffer.allocUnsafe(Math.min(Math.max(capacity, BATCH_HEADER_BYTES + 64), 4096));
  }

  get sizeBytes(): number {
    return this.pos;
  }

  /** Appends a record; false when it does not fit and the batch already has records. */
  tryAppend(timestamp: number, key: Bytes, value: Bytes, headers: readonly HeaderInput[] | undefined): boolean {
    if (this.count === 0) {
      this.firstTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    }
    const keyLen = byteLength(key);
    const valueLen = byteLength(value);
    const tsDelta = timestamp - this.firstTimestamp;
    const offsetDelta = this.count;
    let size =
      1 +
      varlongSize(tsDelta) +
      varintSize(offsetDelta) +
      varintSize(keyLen) +
      Math.max(0, keyLen) +
      varintSize(valueLen) +
      Math.max(0, valueLen);
    const nh = headers?.length ?? 0;
    size += varintSize(nh);
    let hl: number[] | undefined;
    if (nh > 0) {
      hl = new Array<number>(nh * 2);
      for (let i = 0; i < nh; i++) {
        const h = headers![i]!;
        const kl = Buffer.byteLength(h.key);
        const vl = byteLength(h.value);
        hl[2 * i] = kl;
        hl[2 * i + 1] = vl;
        size += varintSize(kl) + kl + varintSize(vl) + Math.max(0, vl);
      }
    }
    const total = varintSize(size) + size;
    const need = this.pos + total;
    if (need > this.buf.length) {
      if (this.count > 0 && need > this.capacity) return false;
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const grown = Buffer.allocUnsafe(
        this.count > 0 ? Math.min(cap, this.capacity) : Math.max(need, Math.min(cap, this.capacity)),
      );
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
    const buf = this.buf;
    let p = writeVarint(buf, this.pos, size);
    buf[p++] = 0; // record attributes (unused)
    p = writeVarlong(buf, p, tsDelta);
    p = writeVarint(buf, p, offsetDelta);
    p = writeBytes(buf, p, key, keyLen);
    p = writeBytes(buf, p, value, valueLen);
    p = writeVarint(buf, p, nh);
    for (let i = 0; i < nh; i++) {
      const h = headers![i]!;
      p = writeBytes(buf, p, h.key, hl![2 * i]!);
      p = writeBytes(buf, p, h.value, hl![2 * i + 1]!);
    }
    this.pos = p;
    this.count++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    return true;
  }

  /** Would a record of about `bytes` overflow this batch? */
  isFull(): boolean {
    return this.pos >= this.capacity;
  }

  /**
   * Fills the header and compresses the records (synchronously except for zstd, whose binding is
   * async only); the CRC is written by stamp().
   */
  seal(codec: CompressionCodec): Buffer | Promise<Buffer> {
    if (codec === CompressionCodec.None) return this.finish(codec, null);
    const records = this.buf.subarray(BATCH_HEADER_BYTES, this.pos);
    if (hasSyncPath(codec)) return this.finish(codec, compressSync(codec, records));
    return compress(codec, records).then((c) => this.finish(codec, c));
  }

  private finish(codec: CompressionCodec, compressed: Buffer | null): Buffer {
    let out: Buffer;
    if (compressed === null) out = this.buf.subarray(0, this.pos);
    else {
      out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + compressed.length);
      compressed.copy(out, BATCH_HEADER_BYTES);
    }
    out.fill(0, 0, 8); // baseOffset
    out.writeInt32BE(out.length - 12, 8);
    out.writeInt32BE(-1, 12); // partitionLeaderEpoch
    out[16] = 2; // magic
    out.writeInt16BE(codec, 21);
    out.writeInt32BE(this.count - 1, 23);
    writeInt64(out, 27, this.firstTimestamp);
    writeInt64(out, 35, this.maxTimestamp);
    out.writeInt32BE(this.count, 57);
    stamp(out, -1n, -1, -1);
    this.bytes = out;
    return out;
  }
}

/** Writes producer id, epoch and base sequence into a sealed batch and recomputes its CRC. */
export function stamp(batch: Buffer, producerId: bigint, producerEpoch: number, baseSequence: number): void {
  batch.writeBigInt64BE(producerId, 43);
  batch.writeInt16BE(producerEpoch, 51);
  batch.writeInt32BE(baseSequence, 53);
  batch.writeUInt32BE(computeBatchCrc(batch, 0), 17);
}
