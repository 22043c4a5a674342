// Session-windowed aggregation (Kafka's SessionWindowedKStream): a record joins every session of
// its key within the inactivity gap, merging them into one; the merged-away sessions are deleted
// (forwarded as tombstones) and the new one forwarded. A record whose merged session ended before
// stream time minus gap and grace is late and dropped.
import type { Change, ProcessorContext, ProcessorSupplier } from "../processor.js";
import { Serdes } from "../serdes.js";
import type { SessionStore } from "../state/session-store.js";
import { Stores } from "../state/stores.js";
import type { SessionWindows, Windowed } from "../windows.js";
import type { KGroupedStream, Materialized } from "./kgrouped-stream.js";
import { sessionWindowedSerde } from "./windowed-serdes.js";
import { KTable } from "./ktable.js";

type Aggregator<K, V, VA> = (key: K, value: V, aggregate: VA) => VA;
type Merger<K, VA> = (key: K, left: VA, right: VA) => VA;

export class SessionWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStream<K, V>,
    private readonly windows: SessionWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate(
      () => 0,
      (_k, _v, n) => n + 1,
      (_k, a, b) => a + b,
      { value: Serdes.int64(), ...materialized },
    );
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    const first = Symbol("empty");
    type Slot = V | typeof first;
    return this.aggregateWith<V>(
      (_key, value, agg) => (agg === (first as Slot) ? value : reducer(agg, value)),
      (_k, a, b) => (a === (first as Slot) ? b : b === (first as Slot) ? a : reducer(a, b)),
      () => first as unknown as V,
      { value: this.grouped.serdes.value, ...materialized } as Materialized<K, V>,
      "KSTREAM-REDUCE",
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    materialized: Materialized<K, VA> = {},
  ): KTable<Windowed<K>, VA> {
    return this.aggregateWith(aggregator, merger, initializer, materialized, "KSTREAM-AGGREGATE");
  }

  private aggregateWith<VA>(
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    initializer: () => VA,
    materialized: Materialized<K, VA>,
    prefix: string,
  ): KTable<Windowed<K>, VA> {
    const state = this.grouped.stream.state;
    const { inactivityGapMs: gap, graceMs } = this.windows;
    const storeName = materialized.name ?? state.newName(`${prefix}-STATE-STORE`);
    const supplier: ProcessorSupplier<K, V, Windowed<K>, Change<VA>> = () => {
      let store: SessionStore<K, VA>;
      let context: ProcessorContext<Windowed<K>, Change<VA>>;
      return {
        init(c) {
          context = c;
          store = c.getStateStore(storeName);
        },
        process(r) {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          const ts = r.timestamp;
          const overlapping = store.findSessions(r.key, ts - gap, ts + gap);
          let start = ts;
          let end = ts;
          let agg = initializer();
          for (const s of overlapping) {
            agg = merger(r.key, agg, s.value);
            start = Math.min(start, s.start);
            end = Math.max(end, s.end);
          }
          // Late: a session is closed once stream time passes its end + gap + grace (as in Kafka).
          if (end < context.currentStreamTimeMs() - graceMs - gap) return;
          for (const s of overlapping) {
            store.put(r.key, s.start, s.end, null);
            const window = { start: s.start, end: s.end };
            context.forward({ ...r, key: { key: r.key, window }, value: { newValue: null, oldValue: s.value } });
          }
          agg = aggregator(r.key, r.value, agg);
          store.put(r.key, start, end, agg);
          context.forward({
            ...r,
            key: { key: r.key, window: { start, end } },
            value: { newValue: agg, oldValue: null },
          });
        },
      };
    };
    const name = state.addProcessor(prefix, [this.grouped.input(storeName).nodeName], supplier);
    const key = materialized.key ?? this.grouped.serdes.key;
    state.topology.addStateStore(
      Stores.sessionStore({
        name: storeName,
        key,
        value: materialized.value,
        logging: materialized.logging ?? true,
        retentionMs: gap + graceMs,
      }),
      name,
    );
    const getter = {
      stores: [storeName],
      make: (c: ProcessorContext<unknown, unknown>) => {
        const store = c.getStateStore<SessionStore<K, VA>>(storeName);
        return (k: Windowed<K>) =>
          store.fetch(k.key).find((s) => s.start === k.window.start && s.end === k.window.end)?.value ?? null;
      },
    };
    const windowedKey = key === undefined ? undefined : sessionWindowedSerde(key);
    // suppress() waits for end + gap + grace: until then a record may still extend the session.
    return new KTable(state, name, { key: windowedKey, value: materialized.value }, getter, storeName, gap + graceMs);
  }
}
