// An in-memory key-value store whose every write is logged to its changelog topic; the changelog
// is what makes it durable (restore replays it on a new owner or after a restart).
import type { KeyValue } from "../processor.js";
import type { Serde } from "../serdes.js";
import { bytesKey, type ChangeLogger, type ManagedStore, StoreSerdes } from "./store-base.js";

export interface ReadOnlyKeyValueStore<K, V> {
  readonly name: string;
  get(key: K): V | null;
  /** Every entry, in the order of their serialized keys (as Kafka's byte-ordered stores). */
  all(): KeyValue<K, V>[];
  approximateNumEntries(): number;
}

export interface KeyValueStore<K, V> extends ReadOnlyKeyValueStore<K, V> {
  /** A null value deletes the key (a tombstone in the changelog). */
  put(key: K, value: V | null): void;
  putIfAbsent(key: K, value: V): V | null;
  delete(key: K): V | null;
}

interface Entry<K, V> {
  key: K;
  value: V;
}

export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V>, ManagedStore {
  readonly kind = "key-value" as const;
  private readonly entries = new Map<string, Entry<K, V>>();
  private readonly serdes: StoreSerdes<K, V>;
  private logger: ChangeLogger | null = null;
  private timestamp: () => number = () => 0;

  constructor(
    readonly name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ) {
    this.serdes = new StoreSerdes(keySerde, valueSerde, name);
  }

  attach(options: { topic: string; logger: ChangeLogger | null; streamTimeMs: () => number }): void {
    this.serdes.topic = options.topic;
    this.logger = options.logger;
    this.timestamp = options.streamTimeMs;
  }

  get(key: K): V | null {
    return this.entries.get(bytesKey(this.serdes.key(key)))?.value ?? null;
  }

  put(key: K, value: V | null): void {
    const keyBytes = this.serdes.key(key);
    if (value === null) this.entries.delete(bytesKey(keyBytes));
    else this.entries.set(bytesKey(keyBytes), { key, value });
    this.logger?.(keyBytes, this.serdes.value(value), this.timestamp());
  }

  putIfAbsent(key: K, value: V): V | null {
    const old = this.get(key);
    if (old === null) this.put(key, value);
    return old;
  }

  delete(key: K): V | null {
    const old = this.get(key);
    this.put(key, null);
    return old;
  }

  all(): KeyValue<K, V>[] {
    return [...this.entries.entries()]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1")))
      .map(([, e]) => [e.key, e.value] as const);
  }

  approximateNumEntries(): number {
    return this.entries.size;
  }

  restore(key: Buffer, value: Buffer | null): void {
    const v = this.serdes.valueFrom(value);
    if (v === null) this.entries.delete(bytesKey(key));
    else this.entries.set(bytesKey(key), { key: this.serdes.keyFrom(key), value: v });
  }

  snapshot(): { key: Buffer; value: Buffer }[] {
    return [...this.entries.entries()].map(([id, e]) => ({
      key: Buffer.from(id, "latin1"),
      value: this.serdes.value(e.value)!,
    }));
  }

  close(): void {
    this.entries.clear();
  }
}
