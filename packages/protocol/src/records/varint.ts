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
  // Above 32 bits the shift operators would truncate: divide until the rest fits, then shift.
  while (u > 0xffffffff) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Writes a zigzag varint (int32 or any safe integer) at `pos`; returns the next position. */
export function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUVarint(buf, pos, zigzag(v));
}

/** Kafka's varlong (a record's timestampDelta/offsetDelta as int64) is the same encoding over a number. */
export const varlongSize: (v: number) => number = varintSize;
export const writeVarlong: (buf: Buffer, pos: number, v: number) => number = writeVarint;

/**
 * Reads a zigzag varint (int32, at most 5 bytes) at `pos` without allocating: returns the value
 * and stores the next position in `next[0]` (a caller-owned scratch, e.g. one Int32Array(1)).
 * Bytes running past the buffer or a sixth byte raise CorruptRecordError.
 */
export function readVarint(buf: Buffer, pos: number, next: Int32Array | number[]): number {
  const start = pos;
  let u = 0;
  let shift = 0;
  let b: number;
  do {
    if (pos >= buf.length || shift > 28) throw new CorruptRecordError("bad varint", "varint", start);
    b = buf[pos++] as number;
    u |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  next[0] = pos;
  return (u >>> 1) ^ -(u & 1);
}

/** readVarint for a varlong (at most 10 bytes), as a number (exact up to 2^53, rounded beyond). */
export function readVarlong(buf: Buffer, pos: number, next: Int32Array | number[]): number {
  const start = pos;
  let u = 0;
  let mul = 1;
  let b: number;
  do {
    if (pos >= buf.length || mul > 2 ** 63) throw new CorruptRecordError("bad varlong", "varlong", start);
    b = buf[pos++] as number;
    u += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  next[0] = pos;
  return unzigzag(u);
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
