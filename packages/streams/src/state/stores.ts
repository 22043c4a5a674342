// Store builders: what a topology holds per store, built again for every task that uses it.
// In memory, with every write in the changelog topic; restore replays the changelog.
import type { Serde } from "../serdes.js";
import { InMemoryKeyValueStore } from "./key-value-store.js";
import { type StoreBuilder, serdeOr } from "./store-base.js";
import { InMemorySessionStore } from "./session-store.js";
import { InMemoryWindowStore } from "./window-store.js";

export interface StoreOptions<K, V> {
  name: string;
  /** Undefined: the configured defaultKeySerde / defaultValueSerde. */
  key?: Serde<K> | undefined;
  value?: Serde<V> | undefined;
  /** Log every write to `<application.id>-<name>-changelog` (default true). */
  logging?: boolean;
}

export const Stores = {
  keyValueStore<K, V>(options: StoreOptions<K, V>): StoreBuilder<InMemoryKeyValueStore<K, V>> {
    return {
      name: options.name,
      kind: "key-value",
      logged: options.logging ?? true,
      changelogConfig: { "cleanup.policy": "compact" },
      build: (defaults) =>
        new InMemoryKeyValueStore(
          options.name,
          serdeOr(options.key, defaults.key, `key of store ${options.name}`),
          serdeOr(options.value, defaults.value, `value of store ${options.name}`),
        ),
    };
  },

  windowStore<K, V>(
    options: StoreOptions<K, V> & { windowSizeMs: number; retentionMs: number },
  ): StoreBuilder<InMemoryWindowStore<K, V>> {
    if (options.retentionMs < options.windowSizeMs)
      throw new RangeError(
        `store ${options.name}: retention (${options.retentionMs} ms) must be at least the window size (${options.windowSizeMs} ms)`,
      );
    return {
      name: options.name,
      kind: "window",
      logged: options.logging ?? true,
      // Kafka's windowed changelogs: compacted and deleted past retention (plus a day of slack).
      changelogConfig: { "cleanup.policy": "compact,delete", "retention.ms": String(options.retentionMs + 86_400_000) },
      build: (defaults) =>
        new InMemoryWindowStore(
          options.name,
          serdeOr(options.key, defaults.key, `key of store ${options.name}`),
          serdeOr(options.value, defaults.value, `value of store ${options.name}`),
          options.windowSizeMs,
          options.retentionMs,
        ),
    };
  },

  sessionStore<K, V>(options: StoreOptions<K, V> & { retentionMs: number }): StoreBuilder<InMemorySessionStore<K, V>> {
    return {
      name: options.name,
      kind: "session",
      logged: options.logging ?? true,
      changelogConfig: { "cleanup.policy": "compact,delete", "retention.ms": String(options.retentionMs + 86_400_000) },
      build: (defaults) =>
        new InMemorySessionStore(
          options.name,
          serdeOr(options.key, defaults.key, `key of store ${options.name}`),
          serdeOr(options.value, defaults.value, `value of store ${options.name}`),
          options.retentionMs,
        ),
    };
  },
} as const;
