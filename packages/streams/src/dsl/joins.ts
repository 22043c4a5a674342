// Joins and table materialization: stream-table (the stream looks the key up in the table's
// store), table-table (either side's change re-joins the key), and the table source that keeps the
// latest value per key in a store and forwards Change pairs.
import type { Change, Processor, ProcessorContext, ProcessorSupplier, StreamRecord } from "../processor.js";
import type { Serde } from "../serdes.js";
import type { KeyValueStore } from "../state/key-value-store.js";
import { Stores } from "../state/stores.js";
import { type BuilderState, statelessSupplier } from "./internal.js";
import { KStream } from "./kstream.js";
import { KTable, type ValueGetter } from "./ktable.js";

type Ctx = ProcessorContext<unknown, unknown>;

/** Reads a key-value store (the getter of every materialized table). */
export function storeGetter<K, V>(storeName: string): ValueGetter<K, V> {
  return {
    stores: [storeName],
    make: (context) => {
      const store = context.getStateStore<KeyValueStore<K, V>>(storeName);
      return (key) => store.get(key);
    },
  };
}

/** A processor that materializes incoming values into `storeName` and forwards Change pairs. */
function materializeSupplier<K, V>(storeName: string): ProcessorSupplier<K, V | null, K, Change<V>> {
  return () => {
    let store: KeyValueStore<K, V>;
    let context: ProcessorContext<K, Change<V>>;
    const processor: Processor<K, V | null, K, Change<V>> = {
      init(c) {
        context = c;
        store = c.getStateStore(storeName);
      },
      process(r) {
        if (r.key === null || r.key === undefined) return;
        const oldValue = store.get(r.key);
        store.put(r.key, r.value);
        context.forward({ ...r, value: { newValue: r.value, oldValue } });
      },
    };
    return processor;
  };
}

/** A table over the records arriving at `parent` (builder.table and KStream.toTable). */
export function materializedTable<K, V>(
  state: BuilderState,
  parent: string,
  prefix: string,
  serdes: { key: Serde<K> | undefined; value: Serde<V> | undefined },
  storeName: string,
): KTable<K, V> {
  const name = state.addProcessor(prefix, [parent], materializeSupplier<K, V>(storeName));
  state.topology.addStateStore(Stores.keyValueStore({ name: storeName, key: serdes.key, value: serdes.value }), name);
  return new KTable(state, name, serdes, storeGetter(storeName), storeName);
}

export function toTable<K, V>(
  stream: KStream<K, V>,
  options: { name?: string; key?: Serde<K>; value?: Serde<V> },
): KTable<K, V> {
  const storeName = options.name ?? stream.state.newName("KSTREAM-TOTABLE-STATE-STORE");
  const serdes = { key: options.key ?? stream.serdes.key, value: options.value ?? stream.serdes.value };
  return materializedTable(stream.state, stream.nodeName, "KSTREAM-TOTABLE", serdes, storeName);
}

export function streamTableJoin<K, V, VT, VR>(
  stream: KStream<K, V>,
  table: KTable<K, VT>,
  joiner: (value: V, tableValue: VT) => VR,
  left: boolean,
): KStream<K, VR> {
  const getter = table.getter;
  const supplier: ProcessorSupplier<K, V, K, VR> = () => {
    let lookup: (key: K) => VT | null;
    let context: ProcessorContext<K, VR>;
    return {
      init(c) {
        context = c;
        lookup = getter.make(c as unknown as Ctx);
      },
      process(r: StreamRecord<K, V>) {
        if (r.key === null || r.key === undefined || r.value === null) return;
        const found = lookup(r.key);
        if (found === null && !left) return;
        context.forward({ ...r, value: joiner(r.value, found as VT) });
      },
    };
  };
  const name = stream.state.addProcessor("KSTREAM-JOIN", [stream.nodeName], supplier);
  stream.state.topology.connectProcessorAndStateStores(...getter.stores.map((s) => [name, s] as const));
  return new KStream<K, VR>(stream.state, name, { key: stream.serdes.key, value: undefined }, false);
}

type JoinKind = "inner" | "left" | "outer";

export function tableTableJoin<K, V, VO, VR>(
  left: KTable<K, V>,
  right: KTable<K, VO>,
  joiner: (value: V, other: VO) => VR,
  kind: JoinKind,
): KTable<K, VR> {
  const join = (l: V | null, r: VO | null): VR | null => {
    if (l === null && r === null) return null;
    if (kind === "inner" && (l === null || r === null)) return null;
    if (kind === "left" && l === null) return null;
    return joiner(l as V, r as VO);
  };
  const side =
    <Mine, Other>(
      otherGetter: ValueGetter<K, Other>,
      combine: (mine: Mine | null, other: Other | null) => VR | null,
    ): ProcessorSupplier<K, Change<Mine>, K, Change<VR>> =>
    () => {
      let lookup: (key: K) => Other | null;
      let context: ProcessorContext<K, Change<VR>>;
      return {
        init(c) {
          context = c;
          lookup = otherGetter.make(c as unknown as Ctx);
        },
        process(r) {
          const other = lookup(r.key);
          const newValue = combine(r.value.newValue, other);
          const oldValue = combine(r.value.oldValue, other);
          if (newValue !== null || oldValue !== null) context.forward({ ...r, value: { newValue, oldValue } });
        },
      };
    };
  const state = left.state;
  const leftName = state.addProcessor("KTABLE-JOINTHIS", [left.nodeName], side<V, VO>(right.getter, join));
  const rightName = state.addProcessor(
    "KTABLE-JOINOTHER",
    [right.nodeName],
    side<VO, V>(left.getter, (mine, other) => join(other, mine)),
  );
  state.topology.connectProcessorAndStateStores(
    ...right.getter.stores.map((s) => [leftName, s] as const),
    ...left.getter.stores.map((s) => [rightName, s] as const),
  );
  const merged = state.addProcessor(
    "KTABLE-MERGE",
    [leftName, rightName],
    statelessSupplier<K, Change<VR>, K, Change<VR>>((r, forward) => forward(r)),
  );
  const getter: ValueGetter<K, VR> = {
    stores: [...left.getter.stores, ...right.getter.stores],
    make: (context) => {
      const l = left.getter.make(context);
      const r = right.getter.make(context);
      return (key) => join(l(key), r(key));
    },
  };
  return new KTable(state, merged, { key: left.serdes.key, value: undefined }, getter, null);
}
