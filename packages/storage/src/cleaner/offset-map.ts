// The cleaner's key -> latest offset map over the dirty part of a log (Kafka's SkimpyOffsetMap,
// keyed by the key bytes themselves instead of a hash, so there are no collisions). Bounded by
// entries and key bytes; `put` reports when the bound is reached so the cleaner stops mapping
// at a segment boundary. Pure.
import { assert } from "@gregor/protocol/util";

export interface OffsetMapLimits {
  maxEntries: number;
  maxKeyBytes: number;
}

export class OffsetMap {
  private readonly offsets = new Map<string, number>();
  private keyBytes = 0;
  private readonly limits: OffsetMapLimits;
  /** Largest offset put so far (-1 when empty). */
  latestOffset = -1;

  constructor(limits: OffsetMapLimits) {
    assert(limits.maxEntries >= 1 && limits.maxKeyBytes >= 1, "offset map limits must be positive");
    this.limits = limits;
  }

  get size(): number {
    return this.offsets.size;
  }

  /** True once another new key might not fit. */
  get isFull(): boolean {
    return this.offsets.size >= this.limits.maxEntries || this.keyBytes >= this.limits.maxKeyBytes;
  }

  /** Records `offset` as the latest for `key` (offsets must not decrease). */
  put(key: Uint8Array, offset: number): void {
    assert(offset >= this.latestOffset, `offset map: offset ${offset} below ${this.latestOffset}`);
    const k = keyString(key);
    if (!this.offsets.has(k)) this.keyBytes += key.length;
    this.offsets.set(k, offset);
    this.latestOffset = offset;
  }

  /** Latest offset of `key`, or -1 when the key was not seen. */
  get(key: Uint8Array): number {
    return this.offsets.get(keyString(key)) ?? -1;
  }
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString("latin1");
}
