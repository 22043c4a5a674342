// Re-grouped tables (Kafka's KGroupedTable): table.groupBy(selector) re-keys every row; an
// update sends the old row's contribution (to subtract) and the new row's (to add), each to the
// group its own key selects, through a repartition topic. count/reduce/aggregate then keep one
// aggregate per group with an adder and a subtractor, so a row moving between groups leaves one
// and joins the other.
import type { Change, Processor, ProcessorContext, ProcessorSupplier } from "../processor.js";
import { type Serde, Serdes } from "../serdes.js";
import type { KeyValueStore } from "../state/key-value-store.js";
import { Stores } from "../state/stores.js";
import type { Grouped } from "./kstream.js";
import { storeGetter } from "./joins.js";
import { KTable } from "./ktable.js";
import { statelessSupplier } from "./internal.js";

/** A Change through a repartition topic: a flag byte (1 = new, 0 = old), then the value bytes. */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return {
    serialize(topic, change) {
      if (change === null) return null;
      const isNew = change.newValue !== null;
      const bytes = inner.serialize(topic, isNew ? change.newValue : change.oldValue) ?? Buffer.alloc(0);
      return Buffer.concat([Buffer.from([isNew ? 1 : 0]), bytes]);
    },
    deserialize(topic, data) {
      if (data === null) return null;
      const value = inner.deserialize(topic, data.subarray(1));
      return data[0] === 1 ? { newValue: value, oldValue: null } : { newValue: null, oldValue: value };
    },
  };
}

export class KGroupedTable<K, V> {
  /** @internal */
  constructor(
    private readonly table: KTable<unknown, unknown>,
    private readonly selector: (key: unknown, value: unknown) => readonly [K, V],
    private readonly grouped: Grouped<K, V>,
  ) {}

  count(materialized: { name?: string; key?: Serde<K> } = {}): KTable<K, number> {
    return this.aggregate(
      () => 0,
      (_k, _v, n) => n + 1,
      (_k, _v, n) => n - 1,
      { ...materialized, value: Serdes.int64() },
    );
  }

  reduce(
    adder: (aggregate: V, value: V) => V,
    subtractor: (aggregate: V, value: V) => V,
    materialized: { name?: string; key?: Serde<K>; value?: Serde<V> } = {},
  ): KTable<K, V> {
    const value = materialized.value ?? this.grouped.value;
    return this.build<V>(
      (_k, v, agg) => (agg === null ? v : adder(agg, v)),
      (_k, v, agg) => subtractor(agg as V, v),
      { ...materialized, ...(value && { value }) },
      "KTABLE-REDUCE",
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
    materialized: { name?: string; key?: Serde<K>; value?: Serde<VA> } = {},
  ): KTable<K, VA> {
    return this.build<VA>(
      (k, v, agg) => adder(k, v, agg ?? initializer()),
      (k, v, agg) => subtractor(k, v, agg ?? initializer()),
      materialized,
      "KTABLE-AGGREGATE",
    );
  }

  private build<VA>(
    add: (key: K, value: V, aggregate: VA | null) => VA,
    subtract: (key: K, value: V, aggregate: VA | null) => VA,
    materialized: { name?: string; key?: Serde<K>; value?: Serde<VA> },
    prefix: string,
  ): KTable<K, VA> {
    const state = this.table.state;
    const storeName = materialized.name ?? state.newName(`${prefix}-STATE-STORE`);
    const topic = `${this.grouped.name ?? storeName}-repartition`;
    const keySerde = materialized.key ?? this.grouped.key;
    const valueSerde = this.grouped.value;
    const selector = this.selector;
    const select = state.addProcessor(
      "KTABLE-SELECT",
      [this.table.nodeName],
      statelessSupplier<unknown, Change<unknown>, K, Change<V>>((r, forward) => {
        // The old row's contribution goes first, so a row staying in its group never goes negative.
        if (r.value.oldValue !== null) {
          const [key, value] = selector(r.key, r.value.oldValue);
          forward({ ...r, key, value: { newValue: null, oldValue: value } });
        }
        if (r.value.newValue !== null) {
          const [key, value] = selector(r.key, r.value.newValue);
          forward({ ...r, key, value: { newValue: value, oldValue: null } });
        }
      }),
    );
    state.topology.addInternalTopic(topic);
    const lazyValue: Serde<V> = valueSerde ?? {
      serialize: () => {
        throw new Error(`table groupBy: no value serde for ${topic}; pass groupBy(selector, { value })`);
      },
      deserialize: () => {
        throw new Error(`table groupBy: no value serde for ${topic}; pass groupBy(selector, { value })`);
      },
    };
    state.topology.addSink(
      state.newName("KSTREAM-SINK"),
      topic,
      { key: keySerde as Serde<unknown> | undefined, value: changeSerde(lazyValue) as Serde<unknown> },
      select,
    );
    const source = state.newName("KSTREAM-SOURCE");
    state.topology.addSource(source, [topic], {
      key: keySerde as Serde<unknown> | undefined,
      value: changeSerde(lazyValue) as Serde<unknown>,
    });
    const supplier: ProcessorSupplier<K, Change<V>, K, Change<VA>> = () => {
      let store: KeyValueStore<K, VA>;
      let context: ProcessorContext<K, Change<VA>>;
      const processor: Processor<K, Change<V>, K, Change<VA>> = {
        init(c) {
          context = c;
          store = c.getStateStore(storeName);
        },
        process(r) {
          if (r.key === null || r.key === undefined) return;
          const oldValue = store.get(r.key);
          let agg = oldValue;
          if (r.value.oldValue !== null) agg = subtract(r.key, r.value.oldValue, agg);
          if (r.value.newValue !== null) agg = add(r.key, r.value.newValue, agg);
          store.put(r.key, agg);
          context.forward({ ...r, value: { newValue: agg, oldValue } });
        },
      };
      return processor;
    };
    const name = state.addProcessor(prefix, [source], supplier);
    state.topology.addStateStore(
      Stores.keyValueStore({ name: storeName, key: keySerde, value: materialized.value }),
      name,
    );
    return new KTable(state, name, { key: keySerde, value: materialized.value }, storeGetter(storeName), storeName);
  }
}
