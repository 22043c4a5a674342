import { ProtocolEncodeError } from "./errors.js";

/** Byte slices at least this large are referenced, not copied, when building a frame. */
export const ZERO_COPY_THRESHOLD = 4096;

/**
 * The growable big-endian scratch every encoder writes into: the primitive writes and the one
 * growth rule (double until it fits). Subclasses decide what happens to large byte slices and to
 * the written bytes: `Writer` (below) keeps a chunk list for writev; the broker's per-connection
 * output buffer reuses one scratch across flushes.
 */
export class GrowableWriter {
  protected buf: Buffer;
  protected pos = 0;

  constructor(initialCapacity: number) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
    return this;
  }
  /** An int64 from a safe integer (offsets, timestamps, -1): no BigInt on hot paths. */
  int64Number(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / 0x100000000);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * 0x100000000, this.pos + 4);
    this.pos += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uvarint(v: number): this {
    if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) throw new ProtocolEncodeError(`uvarint out of range: ${v}`);
    this.ensure(5);
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  uvarlong(v: bigint): this {
    this.ensure(10);
    const buf = this.buf;
    while (v >= 0x80n) {
      buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.pos++] = Number(v);
    return this;
  }
  varlong(v: bigint): this {
    const z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    return this.uvarlong(z);
  }

  uuid(v: string): this {
    const hex = v.replace(/-/g, "");
    if (hex.length !== 32) throw new ProtocolEncodeError(`invalid uuid: ${v}`);
    this.ensure(16);
    this.buf.write(hex, this.pos, 16, "hex");
    this.pos += 16;
    return this;
  }

  protected utf8(s: string): Buffer {
    return Buffer.from(s, "utf8");
  }

  string(s: string): this {
    const b = Buffer.byteLength(s) === s.length ? null : this.utf8(s);
    const len = b === null ? s.length : b.length;
    if (len > 0x7fff) throw new ProtocolEncodeError(`string of ${len} bytes exceeds int16 length`);
    this.int16(len);
    return this.stringBody(s, b, len);
  }
  protected stringBody(s: string, b: Buffer | null, len: number): this {
    this.ensure(len);
    if (b === null) this.buf.write(s, this.pos, len, "latin1");
    else b.copy(this.buf, this.pos);
    this.pos += len;
    return this;
  }
  nullableString(s: string | null | undefined): this {
    if (s == null) return this.int16(-1);
    return this.string(s);
  }
  compactString(s: string): this {
    const b = Buffer.byteLength(s) === s.length ? null : this.utf8(s);
    const len = b === null ? s.length : b.length;
    this.uvarint(len + 1);
    return this.stringBody(s, b, len);
  }
  compactNullableString(s: string | null | undefined): this {
    if (s == null) return this.uvarint(0);
    return this.compactString(s);
  }

  arrayLength(n: number | null, compact: boolean): this {
    if (n === null) return compact ? this.uvarint(0) : this.int32(-1);
    return compact ? this.uvarint(n + 1) : this.int32(n);
  }

  /** Reserves an int32 slot (e.g. a frame length) to patch later; returns its position. */
  reserveInt32(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }
  patchInt32(at: number, v: number): this {
    this.buf.writeInt32BE(v, at);
    return this;
  }
}

/**
 * A growable big-endian writer. Large byte fields (record batches) are kept as references so a
 * Fetch response carrying megabytes of log data is sent with writev and never copied.
 */
export class Writer extends GrowableWriter {
  private readonly chunks: Buffer[] = [];
  private flushedBytes = 0;

  constructor(initialCapacity = 256) {
    super(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushedBytes + this.pos;
  }

  /** Raw bytes with no length prefix. Large slices are referenced, not copied. */
  raw(b: Uint8Array): this {
    if (b.length >= ZERO_COPY_THRESHOLD) {
      this.flushChunk();
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.flushedBytes += b.length;
      return this;
    }
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  private flushChunk(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.flushedBytes += this.pos;
    this.buf = Buffer.allocUnsafe(Math.max(256, this.buf.length - this.pos));
    this.pos = 0;
  }

  bytes(b: Uint8Array): this {
    this.int32(b.length);
    return this.raw(b);
  }
  nullableBytes(b: Uint8Array | null | undefined): this {
    if (b == null) return this.int32(-1);
    return this.bytes(b);
  }
  compactBytes(b: Uint8Array): this {
    this.uvarint(b.length + 1);
    return this.raw(b);
  }
  compactNullableBytes(b: Uint8Array | null | undefined): this {
    if (b == null) return this.uvarint(0);
    return this.compactBytes(b);
  }

  /** Reserves an int32 slot (e.g. a frame length) and returns its position in the current chunk. */
  override reserveInt32(): number {
    if (this.chunks.length > 0) throw new ProtocolEncodeError("reserveInt32 only before any zero-copy chunk");
    return super.reserveInt32();
  }
  override patchInt32(at: number, v: number): this {
    if (this.chunks.length === 0) return super.patchInt32(at, v);
    this.chunks[0]!.writeInt32BE(v, at);
    return this;
  }

  /** The written bytes as a list of slices (for writev). The writer must not be used afterwards. */
  toChunks(): Buffer[] {
    this.flushChunk();
    return this.chunks;
  }

  /** The written bytes as one Buffer (copies only when zero-copy chunks were taken). */
  toBuffer(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.pos);
    return Buffer.concat(this.toChunks(), this.length);
  }
}
