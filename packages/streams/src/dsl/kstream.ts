// KStream: an unbounded stream of independent records (Kafka's KStream). Stateless operators add
// one processor each; key-changing operators (map, flatMap, selectKey) mark the stream so the next
// key-based operation (groupByKey, join) first repartitions it through `<app>-<name>-repartition`.
import type { KeyValue, ProcessorSupplier } from "../processor.js";
import type { Serde } from "../serdes.js";
import { type BuilderState, type CarriedSerdes, statelessSupplier } from "./internal.js";
import { KGroupedStream } from "./kgrouped-stream.js";
import type { KTable } from "./ktable.js";
import { streamTableJoin, toTable } from "./joins.js";
import { streamStreamJoin } from "./stream-join.js";
import { type GlobalKTable, streamGlobalTableJoin } from "./global-ktable.js";
import type { JoinWindows } from "../windows.js";

export interface Produced<K, V> {
  key?: Serde<K>;
  value?: Serde<V>;
}

export interface Grouped<K, V> {
  key?: Serde<K>;
  value?: Serde<V>;
  /** Names the repartition topic (`<app>-<name>-repartition`) when one is needed. */
  name?: string;
}

export interface Repartitioned<K, V> extends Grouped<K, V> {}

/** Serdes of a stream-stream join's buffers (Kafka's StreamJoined). */
export interface StreamJoined<K, V, VO> {
  key?: Serde<K>;
  value?: Serde<V>;
  otherValue?: Serde<VO>;
}

export class KStream<K, V> {
  /** @internal */
  constructor(
    readonly state: BuilderState,
    readonly nodeName: string,
    readonly serdes: CarriedSerdes<K, V>,
    readonly repartitionRequired: boolean,
  ) {}

  private next<K2, V2>(
    prefix: string,
    supplier: ProcessorSupplier<K, V, K2, V2>,
    serdes: CarriedSerdes<K2, V2>,
    repartition: boolean,
  ): KStream<K2, V2> {
    const name = this.state.addProcessor(prefix, [this.nodeName], supplier);
    return new KStream(this.state, name, serdes, repartition);
  }

  filter(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.next(
      "KSTREAM-FILTER",
      statelessSupplier<K, V, K, V>((r, forward) => {
        if (predicate(r.key, r.value)) forward(r);
      }),
      this.serdes,
      this.repartitionRequired,
    );
  }

  filterNot(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.filter((k, v) => !predicate(k, v));
  }

  map<K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>): KStream<K2, V2> {
    return this.next(
      "KSTREAM-MAP",
      statelessSupplier<K, V, K2, V2>((r, forward) => {
        const [key, value] = mapper(r.key, r.value);
        forward({ ...r, key, value });
      }),
      { key: undefined, value: undefined },
      true,
    );
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2): KStream<K, V2> {
    return this.next(
      "KSTREAM-MAPVALUES",
      statelessSupplier<K, V, K, V2>((r, forward) => forward({ ...r, value: mapper(r.value, r.key) })),
      { key: this.serdes.key, value: undefined },
      this.repartitionRequired,
    );
  }

  selectKey<K2>(mapper: (key: K, value: V) => K2): KStream<K2, V> {
    return this.next(
      "KSTREAM-KEY-SELECT",
      statelessSupplier<K, V, K2, V>((r, forward) => forward({ ...r, key: mapper(r.key, r.value) })),
      { key: undefined, value: this.serdes.value },
      true,
    );
  }

  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>): KStream<K2, V2> {
    return this.next(
      "KSTREAM-FLATMAP",
      statelessSupplier<K, V, K2, V2>((r, forward) => {
        for (const [key, value] of mapper(r.key, r.value)) forward({ ...r, key, value });
      }),
      { key: undefined, value: undefined },
      true,
    );
  }

  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>): KStream<K, V2> {
    return this.next(
      "KSTREAM-FLATMAPVALUES",
      statelessSupplier<K, V, K, V2>((r, forward) => {
        for (const value of mapper(r.value, r.key)) forward({ ...r, value });
      }),
      { key: this.serdes.key, value: undefined },
      this.repartitionRequired,
    );
  }

  /** Calls `action` for each record and passes the record on unchanged. */
  peek(action: (key: K, value: V) => void): KStream<K, V> {
    return this.next(
      "KSTREAM-PEEK",
      statelessSupplier<K, V, K, V>((r, forward) => {
        action(r.key, r.value);
        forward(r);
      }),
      this.serdes,
      this.repartitionRequired,
    );
  }

  /** Terminal: calls `action` for each record. */
  foreach(action: (key: K, value: V) => void): void {
    this.state.addProcessor(
      "KSTREAM-FOREACH",
      [this.nodeName],
      statelessSupplier<K, V, never, never>((r) => action(r.key, r.value)),
    );
  }

  /** Splits by predicates: a record goes to the first branch whose predicate holds (or none). */
  branch(...predicates: ((key: K, value: V) => boolean)[]): KStream<K, V>[] {
    const branchNames = predicates.map(() => this.state.newName("KSTREAM-BRANCHCHILD"));
    const parent = this.state.addProcessor(
      "KSTREAM-BRANCH",
      [this.nodeName],
      statelessSupplier<K, V, K, V>((r, _forward, context) => {
        const i = predicates.findIndex((p) => p(r.key, r.value));
        if (i >= 0) context.forward(r, branchNames[i]!);
      }),
    );
    return branchNames.map((name) => {
      this.state.addProcessor(
        "KSTREAM-BRANCHCHILD",
        [parent],
        statelessSupplier<K, V, K, V>((r, f) => f(r)),
        name,
      );
      return new KStream(this.state, name, this.serdes, this.repartitionRequired);
    });
  }

  /** Kafka's split(): `.branch(predicate, name)` ... `.defaultBranch()` -> streams by name. */
  split(named = "split-"): BranchedKStream<K, V> {
    return new BranchedKStream(this, named);
  }

  merge(other: KStream<K, V>): KStream<K, V> {
    const name = this.state.addProcessor(
      "KSTREAM-MERGE",
      [this.nodeName, other.nodeName],
      statelessSupplier<K, V, K, V>((r, f) => f(r)),
    );
    return new KStream(this.state, name, this.serdes, this.repartitionRequired || other.repartitionRequired);
  }

  /** Runs a Processor API processor; `stores` must have been added with builder.addStateStore. */
  process<K2, V2>(supplier: ProcessorSupplier<K, V, K2, V2>, ...stores: string[]): KStream<K2, V2> {
    const name = this.state.addProcessor("KSTREAM-PROCESSOR", [this.nodeName], supplier);
    this.state.topology.connectProcessorAndStateStores(...stores.map((s) => [name, s] as const));
    return new KStream(this.state, name, { key: undefined, value: undefined }, true);
  }

  /** Terminal: writes every record to `topic` (partitioned by the serialized key, murmur2). */
  to(topic: string, produced: Produced<K, V> = {}): void {
    this.state.topology.addSink(
      this.state.newName("KSTREAM-SINK"),
      topic,
      {
        key: (produced.key ?? this.serdes.key) as Serde<unknown>,
        value: (produced.value ?? this.serdes.value) as Serde<unknown>,
      },
      this.nodeName,
    );
  }

  /** Writes to `topic` and reads it back (the caller creates the topic): a user-managed repartition. */
  through(topic: string, produced: Produced<K, V> = {}): KStream<K, V> {
    this.to(topic, produced);
    return this.sourceFrom(topic, { key: produced.key ?? this.serdes.key, value: produced.value ?? this.serdes.value });
  }

  /** Repartitions by key through an internal topic `<app>-<name>-repartition` (KIP-221). */
  repartition(options: Repartitioned<K, V> = {}): KStream<K, V> {
    const base = options.name ?? this.state.newName("KSTREAM-REPARTITION");
    const topic = `${base}-repartition`;
    this.state.topology.addInternalTopic(topic);
    const serdes = { key: options.key ?? this.serdes.key, value: options.value ?? this.serdes.value };
    const nonNull = this.filter((k) => k !== null && k !== undefined);
    nonNull.to(topic, { ...(serdes.key && { key: serdes.key }), ...(serdes.value && { value: serdes.value }) });
    return this.sourceFrom(topic, serdes);
  }

  private sourceFrom(topic: string, serdes: CarriedSerdes<K, V>): KStream<K, V> {
    const source = this.state.newName("KSTREAM-SOURCE");
    this.state.topology.addSource(source, [topic], {
      key: serdes.key as Serde<unknown> | undefined,
      value: serdes.value as Serde<unknown> | undefined,
    });
    return new KStream(this.state, source, serdes, false);
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStream(
      this,
      {
        key: grouped.key ?? this.serdes.key,
        value: grouped.value ?? this.serdes.value,
      },
      grouped.name,
    );
  }

  groupBy<K2>(selector: (key: K, value: V) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    return this.selectKey(selector).groupByKey(grouped);
  }

  /**
   * Stream-table join (each record looks its key up in the table), or with `windows` a
   * stream-stream join (records of both streams whose timestamps are within the window).
   */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => VR): KStream<K, VR>;
  join<VO, VR>(
    other: KStream<K, VO>,
    joiner: (value: V, other: VO) => VR,
    windows: JoinWindows,
    joined?: StreamJoined<K, V, VO>,
  ): KStream<K, VR>;
  join<VO, VR>(
    other: KTable<K, VO> | KStream<K, VO>,
    joiner: (value: V, other: VO) => VR,
    windows?: JoinWindows,
    joined: StreamJoined<K, V, VO> = {},
  ): KStream<K, VR> {
    if (windows === undefined)
      return streamTableJoin(this.joinSide(other as KTable<K, VO>), other as KTable<K, VO>, joiner, false);
    const otherStream = other as KStream<K, VO>;
    return streamStreamJoin(
      this.coPartitioned(joined.key),
      otherStream.coPartitioned(joined.key ?? this.serdes.key),
      joiner as (value: V, other: VO | null) => VR,
      windows,
      "inner",
      joined,
    );
  }

  /** Like join, but a record without a match joins with null (stream-stream: once its window closed, KIP-633). */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => VR): KStream<K, VR>;
  leftJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: (value: V, other: VO | null) => VR,
    windows: JoinWindows,
    joined?: StreamJoined<K, V, VO>,
  ): KStream<K, VR>;
  leftJoin<VO, VR>(
    other: KTable<K, VO> | KStream<K, VO>,
    joiner: (value: V, other: VO | null) => VR,
    windows?: JoinWindows,
    joined: StreamJoined<K, V, VO> = {},
  ): KStream<K, VR> {
    if (windows === undefined)
      return streamTableJoin(this.joinSide(other as KTable<K, VO>), other as KTable<K, VO>, joiner, true);
    const otherStream = other as KStream<K, VO>;
    return streamStreamJoin(
      this.coPartitioned(joined.key),
      otherStream.coPartitioned(joined.key ?? this.serdes.key),
      joiner,
      windows,
      "left",
      joined,
    );
  }

  /** Stream-globalTable join: `keySelector` picks the table key from each record (KIP-99). */
  joinGlobal<GK, GV, VR>(
    table: GlobalKTable<GK, GV>,
    keySelector: (key: K, value: V) => GK,
    joiner: (value: V, tableValue: GV) => VR,
  ): KStream<K, VR> {
    return streamGlobalTableJoin(this.state, this, table, keySelector, joiner as (value: V, t: GV | null) => VR, false);
  }

  leftJoinGlobal<GK, GV, VR>(
    table: GlobalKTable<GK, GV>,
    keySelector: (key: K, value: V) => GK,
    joiner: (value: V, tableValue: GV | null) => VR,
  ): KStream<K, VR> {
    return streamGlobalTableJoin(this.state, this, table, keySelector, joiner, true);
  }

  /** @internal This stream, repartitioned first if its key changed. */
  coPartitioned(key: Serde<K> | undefined): KStream<K, V> {
    if (!this.repartitionRequired) return this;
    const k = key ?? this.serdes.key;
    const value = this.serdes.value;
    return this.repartition({ ...(k && { key: k }), ...(value && { value }) });
  }

  /** The latest value per key as a table (materialized in a store). */
  toTable(options: { name?: string; key?: Serde<K>; value?: Serde<V> } = {}): KTable<K, V> {
    if (!this.repartitionRequired) return toTable(this, options);
    const key = options.key ?? this.serdes.key;
    const value = options.value ?? this.serdes.value;
    return toTable(this.repartition({ ...(key && { key }), ...(value && { value }) }), options);
  }

  /** This stream, repartitioned first if its key changed (the table's key serde writes the keys). */
  private joinSide<VT>(table: KTable<K, VT>): KStream<K, V> {
    if (!this.repartitionRequired) return this;
    const key = this.serdes.key ?? table.serdes.key;
    const value = this.serdes.value;
    return this.repartition({ ...(key && { key }), ...(value && { value }) });
  }
}

/** Kafka's BranchedKStream: named branches, first match wins, optional default branch. */
export class BranchedKStream<K, V> {
  private readonly predicates: { name: string; predicate: (key: K, value: V) => boolean }[] = [];

  constructor(
    private readonly stream: KStream<K, V>,
    private readonly prefix: string,
  ) {}

  branch(predicate: (key: K, value: V) => boolean, name?: string): this {
    this.predicates.push({ name: `${this.prefix}${name ?? String(this.predicates.length + 1)}`, predicate });
    return this;
  }

  defaultBranch(name = "0"): Record<string, KStream<K, V>> {
    return this.build(`${this.prefix}${name}`);
  }

  noDefaultBranch(): Record<string, KStream<K, V>> {
    return this.build(null);
  }

  private build(defaultName: string | null): Record<string, KStream<K, V>> {
    const predicates = this.predicates.map((p) => p.predicate);
    if (defaultName !== null) predicates.push(() => true);
    const streams = this.stream.branch(...predicates);
    const names = [...this.predicates.map((p) => p.name), ...(defaultName === null ? [] : [defaultName])];
    return Object.fromEntries(names.map((n, i) => [n, streams[i]!]));
  }
}
