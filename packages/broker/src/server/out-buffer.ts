// A connection's output for one flush: every response completed in an event-loop turn is encoded
// into one reusable scratch buffer (small fields), with large byte slices (record batches from the
// log) referenced rather than copied. take() copies the scratch bytes once into a fresh buffer and
// returns the pieces for the socket, so a turn's produce acks cost one small allocation and one
// write instead of a Writer, a chunk array and a write per response.

import { ZERO_COPY_THRESHOLD } from "@gregor/protocol";

/** Byte slices at least this large are referenced, not copied: the protocol Writer's threshold. */
export const ZERO_COPY_BYTES = ZERO_COPY_THRESHOLD;
const INITIAL_BYTES = 16 * 1024;
/** After a flush that grew the scratch past this, it is dropped back to INITIAL_BYTES. */
const KEEP_BYTES = 1024 * 1024;

export class OutBuffer {
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);
  private pos = 0;
  /** Referenced slices and the scratch position they go after: [scratchPos, slice, ...]. */
  private readonly refs: (number | Buffer)[] = [];
  private refBytes = 0;

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos + this.refBytes;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }
  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  /** An int64 from a safe integer (offsets, timestamps, -1): no BigInt. */
  int64(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 0x100000000);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * 0x100000000, this.pos + 4);
    this.pos += 8;
  }
  uvarint(v: number): void {
    if (!(v >= 0 && v <= 0xffffffff)) throw new RangeError(`uvarint out of range: ${v}`);
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  /** STRING (int16 length) or COMPACT_STRING (uvarint length + 1). */
  string(s: string, compact: boolean): void {
    const len = Buffer.byteLength(s);
    if (compact) this.uvarint(len + 1);
    else this.int16(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, "utf8");
  }
  nullableString(s: string | null, compact: boolean): void {
    if (s !== null) this.string(s, compact);
    else if (compact) this.uvarint(0);
    else this.int16(-1);
  }
  /** Raw bytes: copied when small, referenced when large. */
  raw(b: Buffer): void {
    if (b.length >= ZERO_COPY_BYTES) {
      this.refs.push(this.pos, b);
      this.refBytes += b.length;
      return;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  /** Reserves an int32 (a frame size) to patch later; positions stay valid until take(). */
  reserveInt32(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }
  patchInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }
  /** The pieces written since the last take(), in order; the scratch is reused afterwards. */
  take(): Buffer[] | Buffer | null {
    const total = this.pos;
    if (total === 0 && this.refs.length === 0) return null;
    const copy = total === 0 ? null : Buffer.allocUnsafe(total);
    if (copy !== null) this.buf.copy(copy, 0, 0, total);
    this.pos = 0;
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafe(INITIAL_BYTES);
    if (this.refs.length === 0) return copy;
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < this.refs.length; i += 2) {
      const at = this.refs[i] as number;
      if (at > from) out.push(copy!.subarray(from, at));
      out.push(this.refs[i + 1] as Buffer);
      from = at;
    }
    if (total > from) out.push(copy!.subarray(from, total));
    this.refs.length = 0;
    this.refBytes = 0;
    return out;
  }
}
