// Varint sizes and writes over plain numbers (no bigint): record fields in the hot path are small.

/** Bytes of the zigzag varint for a 32-bit signed value. */
export function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

export function writeVarint(buf: Buffer, pos: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Zigzag of a safe-integer (up to 2^52 in magnitude) as a non-negative number. */
function zigzag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function varlongSize(v: number): number {
  let u = zigzag64(v);
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

export function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let u = zigzag64(v);
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

/** Reads a zigzag varint; returns the value and stores the next position in `out[0]`. */
export function readVarint(buf: Buffer, pos: number, out: Int32Array | number[]): number {
  let u = 0;
  let shift = 0;
  let b: number;
  do {
    if (pos >= buf.length || shift > 28) throw new RangeError("bad varint in record");
    b = buf[pos++]!;
    u |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  out[0] = pos;
  return (u >>> 1) ^ -(u & 1);
}

/** Reads a zigzag varlong as a number (exact up to 2^53). */
export function readVarlong(buf: Buffer, pos: number, out: Int32Array | number[]): number {
  let u = 0;
  let mul = 1;
  let b: number;
  do {
    if (pos >= buf.length || mul > 2 ** 63) throw new RangeError("bad varlong in record");
    b = buf[pos++]!;
    u += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  out[0] = pos;
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}
