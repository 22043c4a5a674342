// What every store shares: serdes, the changelog it writes every change to, and restore from it.
import type { StateStore } from "../processor.js";
import type { Serde } from "../serdes.js";

/** Receives every write of a logged store (the task sends it to `<application.id>-<store>-changelog`). */
export type ChangeLogger = (key: Buffer, value: Buffer | null, timestamp: number) => void;

/** The runtime's side of a store: attach the changelog, replay changelog records into it. */
export interface ManagedStore extends StateStore {
  readonly kind: StoreKind;
  attach(options: { topic: string; logger: ChangeLogger | null; streamTimeMs: () => number }): void;
  /** Applies one changelog record (restore and standby). Must not log. */
  restore(key: Buffer, value: Buffer | null): void;
  /** Every entry as its changelog record (key and value bytes): what a checkpoint snapshot holds. */
  snapshot(): { key: Buffer; value: Buffer }[];
  close(): void;
}

export type StoreKind = "key-value" | "window" | "session";

/** How to build a store for each task: what the topology holds. */
export interface StoreBuilder<S extends ManagedStore = ManagedStore> {
  readonly name: string;
  readonly kind: StoreKind;
  /** Whether writes go to a changelog topic (Kafka's default: yes). */
  readonly logged: boolean;
  /** Topic configs of the changelog (compact; windowed stores also delete past retention). */
  readonly changelogConfig: Readonly<Record<string, string>>;
  /** `defaults`: the configured default serdes, for stores built without their own. */
  build(defaults: DefaultSerdes): S;
}

export interface DefaultSerdes {
  readonly key: Serde<unknown> | undefined;
  readonly value: Serde<unknown> | undefined;
}

/** The given serde, else the default, else one that fails naming the store and what is missing. */
export function serdeOr<T>(serde: Serde<T> | undefined, fallback: Serde<unknown> | undefined, what: string): Serde<T> {
  if (serde !== undefined) return serde;
  if (fallback !== undefined) return fallback as Serde<T>;
  const fail = (): never => {
    throw new Error(`${what}: no serde given and no default serde configured`);
  };
  return { serialize: fail, deserialize: fail };
}

/** A store's keys are compared as their serialized bytes, as in Kafka's byte stores. */
export function bytesKey(bytes: Buffer): string {
  return bytes.toString("latin1");
}

export class StoreSerdes<K, V> {
  topic = "";
  constructor(
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
    readonly storeName: string,
  ) {}

  key(key: K): Buffer {
    const b = this.keySerde.serialize(this.topic, key);
    if (b === null) throw new Error(`store ${this.storeName}: a null key cannot be stored`);
    return b;
  }

  value(value: V | null): Buffer | null {
    return value === null ? null : this.valueSerde.serialize(this.topic, value);
  }

  keyFrom(bytes: Buffer): K {
    return this.keySerde.deserialize(this.topic, bytes) as K;
  }

  valueFrom(bytes: Buffer | null): V | null {
    return bytes === null ? null : this.valueSerde.deserialize(this.topic, bytes);
  }
}
