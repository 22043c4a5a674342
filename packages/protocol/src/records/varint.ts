// Varint helpers that write straight into a Buffer at a position and return the next position,
// so record encoding allocates nothing per record. Numbers only: Kafka's varlong fields inside a
// record (timestampDelta) are held as JS numbers, exact up to 2^53.
import { CorruptRecordError } from "./errors.js";

export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

export function uvarintSize(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  let n = 5;
  for (let x = Math.floor(u / 0x800000000); x > 0; x = Math.floor(x / 128)) n++;
  return n;
}

export function varintSize(v: number): number {
  return uvarintSize(zigzag(v));
}

export function writeUVarint(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

export function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUVarint(buf, pos, zigzag(v));
}

/**
 * A cursor for decoding records: reads varints as numbers and fails with CorruptRecordError
 * (naming the field and absolute offset) when a value runs past `end` or is out of range.
 */
export class RecordCursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  fail(message: string, field: string, at = this.pos): never {
    throw new CorruptRecordError(message, field, at);
  }

  /** Unsigned varint of at most maxBytes bytes (5 for int32 fields, 10 for int64 fields). */
  uvarint(field: string, maxBytes = 5): number {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (p >= this.end) this.fail("varint runs past the end", field, start);
      const b = buf[p++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (maxBytes === 5 && result > 0xffffffff) break;
        if (result > Number.MAX_SAFE_INTEGER) this.fail("varlong beyond 2^53", field, start);
        this.pos = p;
        return result;
      }
      mul *= 128;
    }
    return this.fail(`varint longer than ${maxBytes} bytes`, field, start);
  }

  varint(field: string): number {
    return unzigzag(this.uvarint(field, 5));
  }

  varlong(field: string): number {
    return unzigzag(this.uvarint(field, 10));
  }

  int8(field: string): number {
    if (this.pos + 1 > this.end) this.fail("needs 1 byte", field);
    return this.buf.readInt8(this.pos++);
  }

  /** Varint-length-prefixed bytes; -1 is null. Returns a view, not a copy. */
  nullableBytes(field: string): Buffer | null {
    const len = this.varint(field);
    if (len === -1) return null;
    if (len < -1 || len > this.end - this.pos) this.fail(`invalid length ${len}`, field);
    const p = this.pos;
    this.pos = p + len;
    return this.buf.subarray(p, p + len);
  }

  string(field: string): string {
    const b = this.nullableBytes(field);
    if (b === null) this.fail("null where a string is required", field);
    return b.toString("utf8");
  }
}
