// A connection's output for one flush: every response completed in an event-loop turn is encoded
// into one reusable scratch buffer (small fields), with large byte slices (record batches from the
// log) referenced rather than copied. take() copies the scratch bytes once into a fresh buffer and
// returns the pieces for the socket, so a turn's produce acks cost one small allocation and one
// write instead of a Writer, a chunk array and a write per response. The primitive writes and the
// growth rule are the protocol's GrowableWriter; only the scratch reuse and the slice list are here.

import { GrowableWriter, ZERO_COPY_THRESHOLD } from "@gregor/protocol";

/** Byte slices at least this large are referenced, not copied: the protocol Writer's threshold. */
export const ZERO_COPY_BYTES = ZERO_COPY_THRESHOLD;
const INITIAL_BYTES = 16 * 1024;
/** After a flush that grew the scratch past this, it is dropped back to INITIAL_BYTES. */
const KEEP_BYTES = 1024 * 1024;

export class OutBuffer extends GrowableWriter {
  /** Referenced slices and the scratch position they go after: [scratchPos, slice, ...]. */
  private readonly refs: (number | Buffer)[] = [];
  private refBytes = 0;

  constructor() {
    super(INITIAL_BYTES);
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos + this.refBytes;
  }

  /** Raw bytes: copied when small, referenced when large. */
  raw(b: Buffer): this {
    if (b.length >= ZERO_COPY_BYTES) {
      this.refs.push(this.pos, b);
      this.refBytes += b.length;
      return this;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
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
