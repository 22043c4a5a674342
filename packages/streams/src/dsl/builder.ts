// StreamsBuilder: where a DSL program starts (Kafka's StreamsBuilder). stream() and table() read
// topics; build() hands back the Topology the runtime (KafkaStreams) or the test driver runs.
import type { Serde } from "../serdes.js";
import type { StoreBuilder } from "../state/store-base.js";
import { Topology } from "../topology.js";
import { BuilderState } from "./internal.js";
import { Stores } from "../state/stores.js";
import { GlobalKTable } from "./global-ktable.js";
import { materializedTable } from "./joins.js";
import { KStream } from "./kstream.js";
import type { KTable } from "./ktable.js";

export interface Consumed<K, V> {
  key?: Serde<K>;
  value?: Serde<V>;
}

export class StreamsBuilder {
  private readonly state = new BuilderState(new Topology());
  private built = false;

  /** A stream of the records of `topic` (or of several topics, merged). */
  stream<K = unknown, V = unknown>(topic: string | readonly string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const name = this.state.newName("KSTREAM-SOURCE");
    this.state.topology.addSource(name, typeof topic === "string" ? [topic] : topic, {
      key: consumed.key as Serde<unknown> | undefined,
      value: consumed.value as Serde<unknown> | undefined,
    });
    return new KStream<K, V>(this.state, name, { key: consumed.key, value: consumed.value }, false);
  }

  /** `topic` read as a table (latest value per key), materialized in store `name` (or a generated one). */
  table<K = unknown, V = unknown>(topic: string, consumed: Consumed<K, V> & { name?: string } = {}): KTable<K, V> {
    const source = this.state.newName("KSTREAM-SOURCE");
    this.state.topology.addSource(source, [topic], {
      key: consumed.key as Serde<unknown> | undefined,
      value: consumed.value as Serde<unknown> | undefined,
    });
    const storeName = consumed.name ?? `${topic}-STATE-STORE-${String(this.state.newName("")).slice(1)}`;
    return materializedTable(
      this.state,
      source,
      "KTABLE-SOURCE",
      { key: consumed.key, value: consumed.value },
      storeName,
    );
  }

  /** `topic` read in full by every instance (KIP-99): join it from any stream by a computed key. */
  globalTable<K = unknown, V = unknown>(
    topic: string,
    consumed: Consumed<K, V> & { name?: string } = {},
  ): GlobalKTable<K, V> {
    const storeName = consumed.name ?? `${topic}-STATE-STORE-${String(this.state.newName("")).slice(1)}`;
    this.state.topology.addGlobalStore(
      Stores.keyValueStore({ name: storeName, key: consumed.key, value: consumed.value, logging: false }),
      topic,
      { key: consumed.key as Serde<unknown> | undefined, value: consumed.value as Serde<unknown> | undefined },
    );
    return new GlobalKTable<K, V>(storeName);
  }

  /** A store for Processor API processors (connect it with `stream.process(supplier, name)`). */
  addStateStore(builder: StoreBuilder): this {
    this.state.topology.addStateStore(builder);
    return this;
  }

  build(): Topology {
    if (this.built) throw new Error("build() was already called on this StreamsBuilder");
    this.built = true;
    return this.state.topology;
  }
}
