// TopologyTestDriver: runs a topology in the test's own process with no broker (Kafka's driver of
// the same name). Every sub-topology runs as the task of partition 0; records piped into an input
// topic are processed at once, and records written to a topic another sub-topology reads
// (repartition, through) are fed to it before pipeInput returns. Wall-clock time moves only when
// the test says so; stream time moves with record timestamps.
import type { Serde } from "./serdes.js";
import type { ReadOnlyKeyValueStore } from "./state/key-value-store.js";
import type { ReadOnlySessionStore } from "./state/session-store.js";
import type { ReadOnlyWindowStore } from "./state/window-store.js";
import { GlobalStores } from "./runtime/global-stores.js";
import { type RecordCollector, StreamTask, StreamsError } from "./runtime/task.js";
import type { Topology } from "./topology.js";

export interface TestDriverOptions {
  applicationId?: string;
  defaultKeySerde?: Serde<unknown>;
  defaultValueSerde?: Serde<unknown>;
  /** Skip records that do not deserialize instead of throwing (Kafka's logAndContinue). */
  deserializationExceptionHandler?: "logAndFail" | "logAndContinue";
  /** The driver's wall clock at start (ms since the epoch); default 0. */
  initialWallClockMs?: number;
}

interface ProducedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: Readonly<Record<string, Buffer | string>> | undefined;
}

export class TopologyTestDriver {
  readonly applicationId: string;
  private readonly tasks: StreamTask[] = [];
  private readonly taskByTopic = new Map<string, StreamTask>();
  private readonly produced = new Map<string, ProducedRecord[]>();
  private readonly offsets = new Map<string, bigint>();
  private readonly pending: { topic: string; record: ProducedRecord }[] = [];
  private wallClockMs: number;
  private readonly globals: GlobalStores;
  private processing = false;

  constructor(
    readonly topology: Topology,
    options: TestDriverOptions = {},
  ) {
    this.applicationId = options.applicationId ?? "test-driver";
    this.wallClockMs = options.initialWallClockMs ?? 0;
    const collector: RecordCollector = {
      send: (topic, key, value, timestamp, _partition, headers) =>
        this.collect(topic, { key, value, timestamp, headers }),
    };
    this.globals = new GlobalStores(topology, { key: options.defaultKeySerde, value: options.defaultValueSerde });
    for (const subtopology of topology.subtopologies()) {
      const task = new StreamTask({
        applicationId: this.applicationId,
        topology,
        subtopology,
        partition: 0,
        collector,
        defaultKeySerde: options.defaultKeySerde,
        defaultValueSerde: options.defaultValueSerde,
        nowMs: () => this.wallClockMs,
        globalStores: this.globals.stores,
        onDeserializationError: () =>
          options.deserializationExceptionHandler === "logAndContinue" ? "continue" : "fail",
      });
      for (const t of subtopology.sourceTopics)
        this.taskByTopic.set(topology.resolveTopic(this.applicationId, t), task);
      this.tasks.push(task);
    }
    for (const task of this.tasks) task.initialize();
  }

  createInputTopic<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    options: { startTimestampMs?: number; autoAdvanceMs?: number } = {},
  ): TestInputTopic<K, V> {
    if (!this.taskByTopic.has(topic) && !this.globals.topics().includes(topic))
      throw new StreamsError(`the topology reads no topic named ${topic}`);
    return new TestInputTopic(
      this,
      topic,
      keySerde,
      valueSerde,
      options.startTimestampMs ?? 0,
      options.autoAdvanceMs ?? 0,
    );
  }

  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(this, topic, keySerde, valueSerde);
  }

  /** @internal Pipes one serialized record (TestInputTopic does the serializing). */
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number): void {
    if (this.globals.topics().includes(topic)) {
      this.globals.apply(topic, key, value);
      return;
    }
    this.pending.push({ topic, record: { key, value, timestamp, headers: undefined } });
    this.drain();
  }

  /** @internal Takes the records written to `topic` so far. */
  take(topic: string): ProducedRecord[] {
    const records = this.produced.get(topic) ?? [];
    this.produced.set(topic, []);
    return records;
  }

  /** @internal */
  peekCount(topic: string): number {
    return this.produced.get(topic)?.length ?? 0;
  }

  /** Moves the wall clock and runs the wall-clock punctuators that became due. */
  advanceWallClockTime(ms: number): void {
    this.wallClockMs += ms;
    for (const task of this.tasks) task.punctuate("wall-clock-time", this.wallClockMs);
    this.drain();
  }

  /** Every topic the topology wrote to, changelogs and repartition topics included. */
  producedTopicNames(): string[] {
    return [...this.produced.keys()];
  }

  getKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    return this.store(name, "key-value") as unknown as ReadOnlyKeyValueStore<K, V>;
  }

  getWindowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    return this.store(name, "window") as unknown as ReadOnlyWindowStore<K, V>;
  }

  getSessionStore<K, V>(name: string): ReadOnlySessionStore<K, V> {
    return this.store(name, "session") as unknown as ReadOnlySessionStore<K, V>;
  }

  close(): void {
    for (const task of this.tasks) task.close();
  }

  private store(name: string, kind: string): unknown {
    for (const candidate of [this.globals.stores, ...this.tasks.map((t) => t.stores)]) {
      const store = candidate.get(name);
      if (store === undefined) continue;
      if (store.kind !== kind) throw new StreamsError(`store ${name} is a ${store.kind} store, not a ${kind} store`);
      return store;
    }
    throw new StreamsError(`no store named ${name}`);
  }

  private collect(topic: string, record: ProducedRecord): void {
    const list = this.produced.get(topic) ?? [];
    list.push(record);
    this.produced.set(topic, list);
    if (this.taskByTopic.has(topic)) this.pending.push({ topic, record });
  }

  /** Processes queued records, including those the topology writes to its own sources. */
  private drain(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
        const offset = this.offsets.get(next.topic) ?? 0n;
        this.offsets.set(next.topic, offset + 1n);
        const { key, value, timestamp, headers } = next.record;
        this.taskByTopic.get(next.topic)!.process(next.topic, offset, timestamp, key, value, headers);
      }
    } finally {
      this.processing = false;
    }
  }
}

export class TestInputTopic<K, V> {
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    private currentTimeMs: number,
    private readonly autoAdvanceMs: number,
  ) {}

  /** Pipes one record; without a timestamp it gets the topic's current time (then auto-advance). */
  pipeInput(key: K | null, value: V | null, timestampMs?: number): void {
    const timestamp = timestampMs ?? this.currentTimeMs;
    if (timestampMs === undefined) this.currentTimeMs += this.autoAdvanceMs;
    this.driver.pipe(
      this.topic,
      this.keySerde.serialize(this.topic, key),
      this.valueSerde.serialize(this.topic, value),
      timestamp,
    );
  }

  pipeValueList(values: readonly V[]): void {
    for (const v of values) this.pipeInput(null, v);
  }

  pipeKeyValueList(records: readonly (readonly [K, V])[]): void {
    for (const [k, v] of records) this.pipeInput(k, v);
  }

  advanceTime(ms: number): void {
    this.currentTimeMs += ms;
  }
}

export interface TestRecord<K, V> {
  key: K | null;
  value: V | null;
  timestamp: number;
}

export class TestOutputTopic<K, V> {
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  readRecordsToList(): TestRecord<K, V>[] {
    return this.driver.take(this.topic).map((r) => ({
      key: this.keySerde.deserialize(this.topic, r.key),
      value: this.valueSerde.deserialize(this.topic, r.value),
      timestamp: r.timestamp,
    }));
  }

  readKeyValuesToList(): [K | null, V | null][] {
    return this.readRecordsToList().map((r) => [r.key, r.value]);
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /** The last value per key (a table's view of the output). */
  readKeyValuesToMap(): Map<K | null, V | null> {
    return new Map(this.readKeyValuesToList());
  }

  isEmpty(): boolean {
    return this.driver.peekCount(this.topic) === 0;
  }

  getQueueSize(): number {
    return this.driver.peekCount(this.topic);
  }
}
