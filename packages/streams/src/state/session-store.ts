// An in-memory session store: per key, the sessions [start, end] (both inclusive, as Kafka's
// session windows) with their aggregate. Changelog keys are Kafka's session key layout: the key
// bytes, then the 8-byte end, then the 8-byte start. Sessions that ended more than the retention
// period before the latest end seen are dropped.
import type { Serde } from "../serdes.js";
import type { Windowed } from "../windows.js";
import { bytesKey, type ChangeLogger, type ManagedStore, StoreSerdes } from "./store-base.js";

export interface Session<V> {
  readonly start: number;
  readonly end: number;
  readonly value: V;
}

export interface ReadOnlySessionStore<K, V> {
  readonly name: string;
  /** The sessions of `key`, oldest first. */
  fetch(key: K): Session<V>[];
  all(): { key: Windowed<K>; value: V }[];
}

export interface SessionStore<K, V> extends ReadOnlySessionStore<K, V> {
  /** Sessions of `key` with end >= earliestEndMs and start <= latestStartMs. */
  findSessions(key: K, earliestEndMs: number, latestStartMs: number): Session<V>[];
  put(key: K, startMs: number, endMs: number, value: V | null): void;
}

export function sessionKeyBytes(key: Buffer, startMs: number, endMs: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + 16);
  key.copy(out, 0);
  out.writeBigInt64BE(BigInt(endMs), key.length);
  out.writeBigInt64BE(BigInt(startMs), key.length + 8);
  return out;
}

export class InMemorySessionStore<K, V> implements SessionStore<K, V>, ManagedStore {
  readonly kind = "session" as const;
  private readonly keys = new Map<string, { key: K; sessions: Session<V>[] }>();
  private readonly serdes: StoreSerdes<K, V>;
  private logger: ChangeLogger | null = null;
  private timestamp: () => number = () => 0;
  private observedEndMs = -1;
  private evictedAtMs = -1;

  constructor(
    readonly name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    readonly retentionMs: number,
  ) {
    this.serdes = new StoreSerdes(keySerde, valueSerde, name);
  }

  attach(options: { topic: string; logger: ChangeLogger | null; streamTimeMs: () => number }): void {
    this.serdes.topic = options.topic;
    this.logger = options.logger;
    this.timestamp = options.streamTimeMs;
  }

  fetch(key: K): Session<V>[] {
    return [...(this.keys.get(bytesKey(this.serdes.key(key)))?.sessions ?? [])];
  }

  findSessions(key: K, earliestEndMs: number, latestStartMs: number): Session<V>[] {
    return this.fetch(key).filter((s) => s.end >= earliestEndMs && s.start <= latestStartMs);
  }

  all(): { key: Windowed<K>; value: V }[] {
    const out: { key: Windowed<K>; value: V }[] = [];
    for (const { key, sessions } of this.keys.values())
      for (const s of sessions) out.push({ key: { key, window: { start: s.start, end: s.end } }, value: s.value });
    return out.sort((a, b) => a.key.window.end - b.key.window.end);
  }

  put(key: K, startMs: number, endMs: number, value: V | null): void {
    const keyBytes = this.serdes.key(key);
    this.apply(bytesKey(keyBytes), key, startMs, endMs, value);
    this.logger?.(sessionKeyBytes(keyBytes, startMs, endMs), this.serdes.value(value), this.timestamp());
  }

  restore(key: Buffer, value: Buffer | null): void {
    const keyBytes = key.subarray(0, key.length - 16);
    const end = Number(key.readBigInt64BE(key.length - 16));
    const start = Number(key.readBigInt64BE(key.length - 8));
    this.apply(bytesKey(keyBytes), this.serdes.keyFrom(keyBytes), start, end, this.serdes.valueFrom(value));
  }

  snapshot(): { key: Buffer; value: Buffer }[] {
    const out: { key: Buffer; value: Buffer }[] = [];
    for (const [id, entry] of this.keys)
      for (const s of entry.sessions)
        out.push({
          key: sessionKeyBytes(Buffer.from(id, "latin1"), s.start, s.end),
          value: this.serdes.value(s.value)!,
        });
    return out;
  }

  close(): void {
    this.keys.clear();
  }

  private apply(id: string, key: K, start: number, end: number, value: V | null): void {
    let entry = this.keys.get(id);
    const rest = (entry?.sessions ?? []).filter((s) => s.start !== start || s.end !== end);
    if (value !== null) rest.push({ start, end, value });
    rest.sort((a, b) => a.start - b.start);
    if (rest.length === 0) this.keys.delete(id);
    else if (entry) entry.sessions = rest;
    else {
      entry = { key, sessions: rest };
      this.keys.set(id, entry);
    }
    if (end > this.observedEndMs) this.observedEndMs = end;
    // Evicting scans every key: do it when the clock moved a quarter of the retention, not per put.
    if (this.observedEndMs - this.evictedAtMs >= Math.max(1, this.retentionMs / 4)) {
      this.evictedAtMs = this.observedEndMs;
      for (const [k, e] of this.keys) {
        e.sessions = e.sessions.filter((s) => s.end + this.retentionMs > this.observedEndMs);
        if (e.sessions.length === 0) this.keys.delete(k);
      }
    }
  }
}
