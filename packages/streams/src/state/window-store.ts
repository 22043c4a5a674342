// An in-memory window store: one value per (key, window start), logged to its changelog under the
// key bytes followed by the 8-byte big-endian window start. Windows older than the retention period
// (window size + grace by default) behind the largest start seen are dropped, as Kafka's segments are.
import type { Serde } from "../serdes.js";
import type { Windowed } from "../windows.js";
import { bytesKey, type ChangeLogger, type ManagedStore, StoreSerdes } from "./store-base.js";

export interface ReadOnlyWindowStore<K, V> {
  readonly name: string;
  fetch(key: K, windowStartMs: number): V | null;
  /** The windows of `key` starting in [fromMs, toMs], oldest first. */
  fetchRange(key: K, fromMs: number, toMs: number): { start: number; value: V }[];
  all(): { key: Windowed<K>; value: V }[];
}

export interface WindowStore<K, V> extends ReadOnlyWindowStore<K, V> {
  put(key: K, value: V | null, windowStartMs: number): void;
}

interface KeyWindows<K, V> {
  key: K;
  windows: Map<number, V>;
}

export function windowedKeyBytes(key: Buffer, startMs: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + 8);
  key.copy(out, 0);
  out.writeBigInt64BE(BigInt(startMs), key.length);
  return out;
}

export class InMemoryWindowStore<K, V> implements WindowStore<K, V>, ManagedStore {
  readonly kind = "window" as const;
  private readonly keys = new Map<string, KeyWindows<K, V>>();
  private readonly serdes: StoreSerdes<K, V>;
  private logger: ChangeLogger | null = null;
  private timestamp: () => number = () => 0;
  private observedStartMs = -1;

  constructor(
    readonly name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    readonly windowSizeMs: number,
    readonly retentionMs: number,
  ) {
    this.serdes = new StoreSerdes(keySerde, valueSerde, name);
  }

  attach(options: { topic: string; logger: ChangeLogger | null; streamTimeMs: () => number }): void {
    this.serdes.topic = options.topic;
    this.logger = options.logger;
    this.timestamp = options.streamTimeMs;
  }

  fetch(key: K, windowStartMs: number): V | null {
    return this.keys.get(bytesKey(this.serdes.key(key)))?.windows.get(windowStartMs) ?? null;
  }

  fetchRange(key: K, fromMs: number, toMs: number): { start: number; value: V }[] {
    const windows = this.keys.get(bytesKey(this.serdes.key(key)))?.windows;
    if (!windows) return [];
    const out: { start: number; value: V }[] = [];
    for (const [start, value] of windows) if (start >= fromMs && start <= toMs) out.push({ start, value });
    return out.sort((a, b) => a.start - b.start);
  }

  all(): { key: Windowed<K>; value: V }[] {
    const out: { key: Windowed<K>; value: V }[] = [];
    for (const { key, windows } of this.keys.values())
      for (const [start, value] of windows)
        out.push({ key: { key, window: { start, end: start + this.windowSizeMs } }, value });
    return out.sort((a, b) => a.key.window.start - b.key.window.start);
  }

  put(key: K, value: V | null, windowStartMs: number): void {
    if (this.isExpired(windowStartMs)) return;
    const keyBytes = this.serdes.key(key);
    this.apply(bytesKey(keyBytes), key, windowStartMs, value);
    this.logger?.(windowedKeyBytes(keyBytes, windowStartMs), this.serdes.value(value), this.timestamp());
  }

  restore(key: Buffer, value: Buffer | null): void {
    const keyBytes = key.subarray(0, key.length - 8);
    const start = Number(key.readBigInt64BE(key.length - 8));
    this.apply(bytesKey(keyBytes), this.serdes.keyFrom(keyBytes), start, this.serdes.valueFrom(value));
  }

  snapshot(): { key: Buffer; value: Buffer }[] {
    const out: { key: Buffer; value: Buffer }[] = [];
    for (const [id, entry] of this.keys)
      for (const [start, value] of entry.windows)
        out.push({ key: windowedKeyBytes(Buffer.from(id, "latin1"), start), value: this.serdes.value(value)! });
    return out;
  }

  close(): void {
    this.keys.clear();
  }

  private isExpired(startMs: number): boolean {
    return this.observedStartMs >= 0 && startMs + this.retentionMs <= this.observedStartMs;
  }

  private apply(id: string, key: K, startMs: number, value: V | null): void {
    let entry = this.keys.get(id);
    if (value === null) {
      entry?.windows.delete(startMs);
      if (entry && entry.windows.size === 0) this.keys.delete(id);
    } else {
      if (!entry) {
        entry = { key, windows: new Map() };
        this.keys.set(id, entry);
      }
      entry.windows.set(startMs, value);
    }
    if (startMs > this.observedStartMs) {
      this.observedStartMs = startMs;
      this.evict();
    }
  }

  /** Drops windows past retention; runs when the newest window start moves (not per put). */
  private evict(): void {
    for (const [id, entry] of this.keys) {
      for (const start of entry.windows.keys()) if (this.isExpired(start)) entry.windows.delete(start);
      if (entry.windows.size === 0) this.keys.delete(id);
    }
  }
}
