import { ProtocolDecodeError } from "./errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });

export interface TaggedField {
  tag: number;
  data: Buffer;
}

/**
 * A bounds-checked cursor over a Buffer. Every read names its field so a malformed frame yields a
 * ProtocolDecodeError that says which field broke and where, never an out-of-range read.
 */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, field: string): number {
    const p = this.pos;
    if (n < 0 || p + n > this.end) {
      throw new ProtocolDecodeError(`needs ${n} bytes, ${this.end - p} left`, field, p);
    }
    this.pos = p + n;
    return p;
  }

  int8(field = "int8"): number {
    return this.buf.readInt8(this.need(1, field));
  }
  uint8(field = "uint8"): number {
    return this.buf[this.need(1, field)]!;
  }
  bool(field = "bool"): boolean {
    return this.buf[this.need(1, field)] !== 0;
  }
  int16(field = "int16"): number {
    return this.buf.readInt16BE(this.need(2, field));
  }
  uint16(field = "uint16"): number {
    return this.buf.readUInt16BE(this.need(2, field));
  }
  int32(field = "int32"): number {
    return this.buf.readInt32BE(this.need(4, field));
  }
  uint32(field = "uint32"): number {
    return this.buf.readUInt32BE(this.need(4, field));
  }
  int64(field = "int64"): bigint {
    return this.buf.readBigInt64BE(this.need(8, field));
  }
  float64(field = "float64"): number {
    return this.buf.readDoubleBE(this.need(8, field));
  }

  /** Unsigned LEB128, at most 5 bytes (32 bits). */
  uvarint(field = "uvarint"): number {
    const buf = this.buf;
    let p = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= this.end) throw new ProtocolDecodeError("varint runs past the end", field, this.pos);
      const b = buf[p++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) break;
        this.pos = p;
        return result;
      }
    }
    throw new ProtocolDecodeError("varint longer than 5 bytes", field, this.pos);
  }

  /** Zigzag signed varint (int32). */
  varint(field = "varint"): number {
    const u = this.uvarint(field);
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Unsigned LEB128 up to 10 bytes, as bigint. */
  uvarlong(field = "uvarlong"): bigint {
    const buf = this.buf;
    let p = this.pos;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (p >= this.end) throw new ProtocolDecodeError("varlong runs past the end", field, this.pos);
      const b = buf[p++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        this.pos = p;
        return result;
      }
    }
    throw new ProtocolDecodeError("varlong longer than 10 bytes", field, this.pos);
  }

  /** Zigzag signed varlong (int64). */
  varlong(field = "varlong"): bigint {
    const u = this.uvarlong(field);
    return (u >> 1n) ^ -(u & 1n);
  }

  uuid(field = "uuid"): string {
    const p = this.need(16, field);
    const h = this.buf.toString("hex", p, p + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private text(len: number, field: string): string {
    const p = this.need(len, field);
    return len === 0 ? "" : utf8.decode(this.buf.subarray(p, p + len));
  }

  private lengthError(len: number, field: string): never {
    throw new ProtocolDecodeError(`invalid length ${len}`, field, this.pos);
  }

  string(field = "string"): string {
    const len = this.int16(field);
    if (len < 0) this.lengthError(len, field);
    return this.text(len, field);
  }
  nullableString(field = "string"): string | null {
    const len = this.int16(field);
    if (len === -1) return null;
    if (len < 0) this.lengthError(len, field);
    return this.text(len, field);
  }
  compactString(field = "string"): string {
    const n = this.uvarint(field);
    if (n === 0) this.lengthError(-1, field);
    return this.text(n - 1, field);
  }
  compactNullableString(field = "string"): string | null {
    const n = this.uvarint(field);
    return n === 0 ? null : this.text(n - 1, field);
  }

  private slice(len: number, field: string): Buffer {
    const p = this.need(len, field);
    return this.buf.subarray(p, p + len);
  }
  bytes(field = "bytes"): Buffer {
    const len = this.int32(field);
    if (len < 0) this.lengthError(len, field);
    return this.slice(len, field);
  }
  nullableBytes(field = "bytes"): Buffer | null {
    const len = this.int32(field);
    if (len === -1) return null;
    if (len < 0) this.lengthError(len, field);
    return this.slice(len, field);
  }
  compactBytes(field = "bytes"): Buffer {
    const n = this.uvarint(field);
    if (n === 0) this.lengthError(-1, field);
    return this.slice(n - 1, field);
  }
  compactNullableBytes(field = "bytes"): Buffer | null {
    const n = this.uvarint(field);
    return n === 0 ? null : this.slice(n - 1, field);
  }

  /**
   * Array length (int32 or compact uvarint+1). -1 / 0 mean null. Each element needs at least
   * one byte, so a length larger than the bytes left is rejected before any allocation.
   */
  arrayLength(compact: boolean, field = "array"): number {
    const n = compact ? this.uvarint(field) - 1 : this.int32(field);
    if (n < -1) this.lengthError(n, field);
    if (n > this.remaining)
      throw new ProtocolDecodeError(`array of ${n} elements exceeds the ${this.remaining} bytes left`, field, this.pos);
    return n;
  }

  /** Reads a tagged-field section; unknown tags are kept raw so callers may ignore or inspect them. */
  taggedFields(
    onTag?: (tag: number, r: Reader, size: number) => boolean,
    field = "taggedFields",
  ): TaggedField[] | undefined {
    const count = this.uvarint(field);
    if (count === 0) return undefined;
    let unknown: TaggedField[] | undefined;
    let lastTag = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint(field);
      if (tag <= lastTag) throw new ProtocolDecodeError(`tag ${tag} out of order`, field, this.pos);
      lastTag = tag;
      const size = this.uvarint(field);
      const start = this.pos;
      if (start + size > this.end)
        throw new ProtocolDecodeError(`tagged field ${tag} of ${size} bytes runs past the end`, field, start);
      if (onTag !== undefined) {
        const sub = new Reader(this.buf, start, start + size);
        if (onTag(tag, sub, size)) {
          this.pos = start + size;
          continue;
        }
      }
      if (unknown === undefined) unknown = [];
      unknown.push({ tag, data: this.buf.subarray(start, start + size) });
      this.pos = start + size;
    }
    return unknown;
  }
}
