// KTable: a changelog stream read as a table: the latest value per key, null deleting it. Table
// processors forward Change(newValue, oldValue) pairs (Kafka's Change) so downstream tables and
// aggregations can undo the old value; toStream() keeps only the new one. Every table also has a
// value getter (Kafka's KTableValueGetter) that joins use to look up a key's current value.
import type { Change, KeyValue, ProcessorContext } from "../processor.js";
import { KGroupedTable } from "./kgrouped-table.js";
import type { Grouped } from "./kstream.js";
import { type BuilderState, type CarriedSerdes, statelessSupplier } from "./internal.js";
import { KStream } from "./kstream.js";
import { tableTableJoin } from "./joins.js";
import { suppressSupplier } from "./suppress.js";

/** How a processor connected to `stores` reads a table's current value for a key. */
export interface ValueGetter<K, V> {
  readonly stores: readonly string[];
  make(context: ProcessorContext<unknown, unknown>): (key: K) => V | null;
}

export const Suppressed = {
  /** Holds each window's updates and emits one final result when the window closes (end + grace). */
  untilWindowCloses(): { kind: "untilWindowCloses" } {
    return { kind: "untilWindowCloses" };
  },
} as const;

export class KTable<K, V> {
  /** @internal */
  constructor(
    readonly state: BuilderState,
    readonly nodeName: string,
    readonly serdes: CarriedSerdes<K, V>,
    readonly getter: ValueGetter<K, V>,
    /** The store holding this table, when it is materialized (what interactive queries read). */
    readonly queryableStoreName: string | null,
    /** Grace of the windows, when this is a windowed aggregation (what suppress waits for). */
    readonly windowGraceMs: number | null = null,
  ) {}

  filter(predicate: (key: K, value: V) => boolean): KTable<K, V> {
    const keep = (key: K, v: V | null): V | null => (v !== null && predicate(key, v) ? v : null);
    const name = this.state.addProcessor(
      "KTABLE-FILTER",
      [this.nodeName],
      statelessSupplier<K, Change<V>, K, Change<V>>((r, forward) => {
        const newValue = keep(r.key, r.value.newValue);
        const oldValue = keep(r.key, r.value.oldValue);
        if (newValue !== null || oldValue !== null) forward({ ...r, value: { newValue, oldValue } });
      }),
    );
    const parent = this.getter;
    return new KTable(
      this.state,
      name,
      this.serdes,
      {
        stores: parent.stores,
        make: (context) => {
          const get = parent.make(context);
          return (key) => keep(key, get(key));
        },
      },
      null,
      this.windowGraceMs,
    );
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2): KTable<K, V2> {
    const map = (key: K, v: V | null): V2 | null => (v === null ? null : mapper(v, key));
    const name = this.state.addProcessor(
      "KTABLE-MAPVALUES",
      [this.nodeName],
      statelessSupplier<K, Change<V>, K, Change<V2>>((r, forward) =>
        forward({ ...r, value: { newValue: map(r.key, r.value.newValue), oldValue: map(r.key, r.value.oldValue) } }),
      ),
    );
    const parent = this.getter;
    return new KTable(
      this.state,
      name,
      { key: this.serdes.key, value: undefined },
      {
        stores: parent.stores,
        make: (context) => {
          const get = parent.make(context);
          return (key) => map(key, get(key));
        },
      },
      null,
      this.windowGraceMs,
    );
  }

  /** The table's updates as a stream (a deleted key arrives as a null value). */
  toStream(): KStream<K, V> {
    const name = this.state.addProcessor(
      "KTABLE-TOSTREAM",
      [this.nodeName],
      statelessSupplier<K, Change<V>, K, V | null>((r, forward) => forward({ ...r, value: r.value.newValue })),
    );
    return new KStream(this.state, name, this.serdes, false) as KStream<K, V>;
  }

  /** Table-table join: the joined row changes whenever either side's row for the key changes. */
  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO) => VR): KTable<K, VR> {
    return tableTableJoin(this, other, joiner, "inner");
  }

  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO | null) => VR): KTable<K, VR> {
    return tableTableJoin(this, other, joiner as (value: V, other: VO) => VR, "left");
  }

  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | null, other: VO | null) => VR): KTable<K, VR> {
    return tableTableJoin(this, other, joiner as (value: V, other: VO) => VR, "outer");
  }

  /** Re-keys the table for an aggregation (count/reduce/aggregate with adder and subtractor). */
  groupBy<K2, V2>(
    selector: (key: K, value: V) => KeyValue<K2, V2>,
    grouped: Grouped<K2, V2> = {},
  ): KGroupedTable<K2, V2> {
    return new KGroupedTable<K2, V2>(
      this as unknown as KTable<unknown, unknown>,
      selector as (key: unknown, value: unknown) => readonly [K2, V2],
      grouped,
    );
  }

  /** Only for windowed aggregations: one final result per window, emitted once it closes. */
  suppress(_suppressed: { kind: "untilWindowCloses" }): KTable<K, V> {
    if (this.windowGraceMs === null)
      throw new TypeError("suppress(untilWindowCloses) needs a windowed table (groupByKey().windowedBy(...))");
    const name = this.state.addProcessor(
      "KTABLE-SUPPRESS",
      [this.nodeName],
      suppressSupplier<V>(this.windowGraceMs) as never,
    );
    return new KTable(this.state, name, this.serdes, this.getter, null, this.windowGraceMs);
  }
}
