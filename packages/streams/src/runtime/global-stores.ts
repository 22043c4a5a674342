// Global stores (KIP-99, Kafka's GlobalStateManager): every instance reads all partitions of a
// global table's topic into one store shared by its tasks, from the beginning at start-up (the
// instance starts processing once they caught up to the end offsets), then keeps them updated.
import { type Consumer, LATEST_TIMESTAMP, listOffsets } from "@gregor/client";
import type { DefaultSerdes, ManagedStore } from "../state/store-base.js";
import type { Topology } from "../topology.js";

export class GlobalStores {
  readonly stores = new Map<string, ManagedStore>();
  private readonly byTopic = new Map<string, ManagedStore>();
  restoredRecords = 0;

  constructor(topology: Topology, defaults: DefaultSerdes) {
    for (const [name, spec] of topology.globalStores) {
      const store = spec.builder.build(defaults);
      store.attach({ topic: spec.topic, logger: null, streamTimeMs: () => 0 });
      this.stores.set(name, store);
      this.byTopic.set(spec.topic, store);
    }
  }

  topics(): string[] {
    return [...this.byTopic.keys()];
  }

  /** Applies one record of a global topic (as the test driver and the global loop do). */
  apply(topic: string, key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    this.byTopic.get(topic)?.restore(key, value);
    this.restoredRecords++;
  }

  /** Assigns every partition of the global topics to `consumer` and reads up to their end offsets. */
  async bootstrap(consumer: Consumer, stopped: () => boolean): Promise<void> {
    if (this.byTopic.size === 0) return;
    const topics = this.topics();
    const infos = await consumer.cluster.topicMetadata(topics, false);
    const partitions = infos.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    const ends = await listOffsets(
      consumer.cluster,
      partitions.map((p) => ({ ...p, timestamp: LATEST_TIMESTAMP })),
    );
    const pending = new Map(ends.filter((e) => e.offset > 0n).map((e) => [`${e.topic}:${e.partition}`, e.offset]));
    consumer.assign(partitions.map((p) => ({ ...p, offset: "earliest" as const })));
    while (pending.size > 0 && !stopped()) {
      const batch = await consumer.nextBatch({ timeoutMs: 200 });
      if (batch === null) continue;
      for (const m of batch.messages) this.apply(batch.topic, m.key, m.value);
      const id = `${batch.topic}:${batch.partition}`;
      if (batch.nextOffset >= (pending.get(id) ?? 0n)) pending.delete(id);
    }
  }

  /** Keeps applying new records until `stopped()` (the global thread's loop). */
  async follow(consumer: Consumer, stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const batch = await consumer.nextBatch({ timeoutMs: 200 });
      if (batch !== null) for (const m of batch.messages) this.apply(batch.topic, m.key, m.value);
    }
  }
}
