// What Kafka's offset and time indexes share (its AbstractIndex): fixed-size entries relative to
// the segment's baseOffset, held in a growable in-memory Buffer, written to disk as `bytes()`.

const INITIAL_CAPACITY = 64;

export abstract class SparseIndex {
  readonly baseOffset: number;
  readonly maxEntries: number;
  protected buf: Buffer;
  protected count = 0;

  constructor(
    baseOffset: number,
    maxIndexBytes: number,
    protected readonly entryBytes: number,
  ) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.floor(maxIndexBytes / entryBytes);
    this.buf = Buffer.alloc(Math.min(this.maxEntries, INITIAL_CAPACITY) * entryBytes);
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  clear(): void {
    this.count = 0;
  }

  /** The bytes to write to disk (a view, valid until the next mutation). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.count * this.entryBytes);
  }

  /** Makes room for one more entry; `capacityLimit` caps the growth (in entries). */
  protected ensureRoom(capacityLimit: number): void {
    if ((this.count + 1) * this.entryBytes <= this.buf.length) return;
    const capacity = Math.min(capacityLimit, Math.max(INITIAL_CAPACITY, (this.buf.length / this.entryBytes) * 2));
    const next = Buffer.alloc(capacity * this.entryBytes);
    this.buf.copy(next, 0, 0, this.count * this.entryBytes);
    this.buf = next;
  }

  /** Takes over entries read from disk (already sanity-checked by the caller). */
  protected adopt(data: Buffer): void {
    this.buf = Buffer.from(data);
    this.count = data.length / this.entryBytes;
  }
}
