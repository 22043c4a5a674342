// Grouped streams and their aggregations (Kafka's KGroupedStream / TimeWindowedKStream): count,
// reduce and aggregate into a key-value store, or per window into a window store. Every update is
// forwarded as a Change, and the store's changelog makes the aggregate survive restarts and moves.
import type { Change, Processor, ProcessorContext, ProcessorSupplier } from "../processor.js";
import { type Serde, Serdes } from "../serdes.js";
import type { KeyValueStore } from "../state/key-value-store.js";
import { Stores } from "../state/stores.js";
import type { WindowStore } from "../state/window-store.js";
import { type SessionWindows, TimeWindows, type Windowed } from "../windows.js";
import type { CarriedSerdes } from "./internal.js";
import { storeGetter } from "./joins.js";
import { SessionWindowedKStream } from "./session-windowed.js";
import { windowedSerde } from "./windowed-serdes.js";
import type { KStream } from "./kstream.js";
import { KTable } from "./ktable.js";

export interface Materialized<K, V> {
  /** The store's name; its changelog is `<application.id>-<name>-changelog`. */
  name?: string;
  key?: Serde<K>;
  value?: Serde<V>;
  /** Log the store to its changelog (default true). */
  logging?: boolean;
}

type Aggregator<K, V, VA> = (key: K, value: V, aggregate: VA) => VA;

export class KGroupedStream<K, V> {
  /** @internal */
  constructor(
    readonly stream: KStream<K, V>,
    readonly serdes: CarriedSerdes<K, V>,
    readonly repartitionName: string | undefined,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.aggregate(
      () => 0,
      (_k, _v, n) => n + 1,
      { value: Serdes.int64(), ...materialized },
    );
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<K, V> {
    return this.aggregateWith<V>(
      (_key, value, old) => (old === null ? value : reducer(old, value)),
      { value: this.serdes.value, ...materialized } as Materialized<K, V>,
      "KSTREAM-REDUCE",
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: Aggregator<K, V, VA>,
    materialized: Materialized<K, VA> = {},
  ): KTable<K, VA> {
    return this.aggregateWith<VA>(
      (key, value, old) => aggregator(key, value, old ?? initializer()),
      materialized,
      "KSTREAM-AGGREGATE",
    );
  }

  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    return windows instanceof TimeWindows
      ? new TimeWindowedKStream(this, windows)
      : new SessionWindowedKStream(this, windows);
  }

  /**
   * @internal The stream to aggregate: repartitioned first when its key changed upstream, through
   * `<app>-<name>-repartition`, named after the Grouped name or else the store (as Kafka names it).
   */
  input(storeName: string): KStream<K, V> {
    if (!this.stream.repartitionRequired) return this.stream;
    const { key, value } = this.serdes;
    return this.stream.repartition({
      name: this.repartitionName ?? storeName,
      ...(key && { key }),
      ...(value && { value }),
    });
  }

  private aggregateWith<VA>(
    update: (key: K, value: V, old: VA | null) => VA,
    materialized: Materialized<K, VA>,
    prefix: string,
  ): KTable<K, VA> {
    const state = this.stream.state;
    const storeName = materialized.name ?? state.newName(`${prefix}-STATE-STORE`);
    const supplier: ProcessorSupplier<K, V, K, Change<VA>> = () => {
      let store: KeyValueStore<K, VA>;
      let context: ProcessorContext<K, Change<VA>>;
      const processor: Processor<K, V, K, Change<VA>> = {
        init(c) {
          context = c;
          store = c.getStateStore(storeName);
        },
        process(r) {
          // Kafka skips records with a null key or value in aggregations.
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          const oldValue = store.get(r.key);
          const newValue = update(r.key, r.value, oldValue);
          store.put(r.key, newValue);
          context.forward({ ...r, value: { newValue, oldValue } });
        },
      };
      return processor;
    };
    const name = state.addProcessor(prefix, [this.input(storeName).nodeName], supplier);
    const key = materialized.key ?? this.serdes.key;
    state.topology.addStateStore(
      Stores.keyValueStore({ name: storeName, key, value: materialized.value, logging: materialized.logging ?? true }),
      name,
    );
    return new KTable(state, name, { key, value: materialized.value }, storeGetter(storeName), storeName);
  }
}

/** Aggregations per time window (tumbling or hopping), with Kafka's grace-period semantics. */
export class TimeWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStream<K, V>,
    private readonly windows: TimeWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate(
      () => 0,
      (_k, _v, n) => n + 1,
      { value: Serdes.int64(), ...materialized },
    );
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.aggregateWith<V>(
      (_key, value, old) => (old === null ? value : reducer(old, value)),
      { value: this.grouped.serdes.value, ...materialized } as Materialized<K, V>,
      "KSTREAM-REDUCE",
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: Aggregator<K, V, VA>,
    materialized: Materialized<K, VA> = {},
  ): KTable<Windowed<K>, VA> {
    return this.aggregateWith<VA>(
      (key, value, old) => aggregator(key, value, old ?? initializer()),
      materialized,
      "KSTREAM-AGGREGATE",
    );
  }

  private aggregateWith<VA>(
    update: (key: K, value: V, old: VA | null) => VA,
    materialized: Materialized<K, VA>,
    prefix: string,
  ): KTable<Windowed<K>, VA> {
    const state = this.grouped.stream.state;
    const windows = this.windows;
    const storeName = materialized.name ?? state.newName(`${prefix}-STATE-STORE`);
    const supplier: ProcessorSupplier<K, V, Windowed<K>, Change<VA>> = () => {
      let store: WindowStore<K, VA>;
      let context: ProcessorContext<Windowed<K>, Change<VA>>;
      return {
        init(c) {
          context = c;
          store = c.getStateStore(storeName);
        },
        process(r) {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          // A window closes once stream time passes its end plus grace (KIP-328): later records
          // for it are dropped, as Kafka drops them (and counts them as dropped-records).
          const closeTime = context.currentStreamTimeMs() - windows.graceMs;
          for (const window of windows.windowsFor(r.timestamp)) {
            if (window.end <= closeTime) continue;
            const oldValue = store.fetch(r.key, window.start);
            const newValue = update(r.key, r.value, oldValue);
            store.put(r.key, newValue, window.start);
            context.forward({ ...r, key: { key: r.key, window }, value: { newValue, oldValue } });
          }
        },
      };
    };
    const name = state.addProcessor(prefix, [this.grouped.input(storeName).nodeName], supplier);
    const key = materialized.key ?? this.grouped.serdes.key;
    state.topology.addStateStore(
      Stores.windowStore({
        name: storeName,
        key,
        value: materialized.value,
        logging: materialized.logging ?? true,
        windowSizeMs: windows.sizeMs,
        retentionMs: windows.sizeMs + windows.graceMs,
      }),
      name,
    );
    const getter = {
      stores: [storeName],
      make: (context: ProcessorContext<unknown, unknown>) => {
        const store = context.getStateStore<WindowStore<K, VA>>(storeName);
        return (k: Windowed<K>) => store.fetch(k.key, k.window.start);
      },
    };
    const windowedKey = key === undefined ? undefined : windowedSerde(key, windows.sizeMs);
    return new KTable(state, name, { key: windowedKey, value: materialized.value }, getter, storeName, windows.graceMs);
  }
}
