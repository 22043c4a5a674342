// GlobalKTable (KIP-99): a table every instance holds in full, so a stream joins it by any key it
// can compute from its records (no co-partitioning, no repartition).
import type { ProcessorContext, ProcessorSupplier } from "../processor.js";
import type { KeyValueStore } from "../state/key-value-store.js";
import type { BuilderState } from "./internal.js";
import { KStream } from "./kstream.js";

export class GlobalKTable<K, V> {
  /** @internal */
  constructor(readonly queryableStoreName: string) {}
  /** Carries the key and value types (never set). */
  declare readonly types?: (key: K, value: V) => void;
}

export function streamGlobalTableJoin<K, V, GK, GV, VR>(
  state: BuilderState,
  stream: KStream<K, V>,
  table: GlobalKTable<GK, GV>,
  keySelector: (key: K, value: V) => GK,
  joiner: (value: V, tableValue: GV | null) => VR,
  left: boolean,
): KStream<K, VR> {
  const storeName = table.queryableStoreName;
  const supplier: ProcessorSupplier<K, V, K, VR> = () => {
    let context: ProcessorContext<K, VR>;
    let store: KeyValueStore<GK, GV>;
    return {
      init(c) {
        context = c;
        store = c.getStateStore(storeName);
      },
      process(r) {
        if (r.value === null || r.value === undefined) return;
        const tableKey = keySelector(r.key, r.value);
        const found = tableKey === null || tableKey === undefined ? null : store.get(tableKey);
        if (found === null && !left) return;
        context.forward({ ...r, value: joiner(r.value, found) });
      },
    };
  };
  const name = state.addProcessor("KSTREAM-JOIN", [stream.nodeName], supplier);
  state.topology.connectProcessorAndStateStores([name, storeName]);
  return new KStream<K, VR>(state, name, { key: stream.serdes.key, value: undefined }, stream.repartitionRequired);
}
