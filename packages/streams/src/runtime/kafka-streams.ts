// KafkaStreams: runs a topology as one member of the consumer group `applicationId` (Kafka's
// KafkaStreams). start() creates the internal topics, joins the group and runs the stream loop:
// poll a batch, process it through its task, punctuate, commit every commitIntervalMs. One async
// loop per instance (num.stream.threads = 1): scale out by running more instances.
import { Admin, Consumer, Producer, type Logger, murmur2, silentLogger, toPositive } from "@gregor/client";
import type { Serde } from "../serdes.js";
import type { ReadOnlyKeyValueStore } from "../state/key-value-store.js";
import type { ReadOnlyWindowStore } from "../state/window-store.js";
import type { Topology } from "../topology.js";
import { ProducerCollector } from "./collector.js";
import { GlobalStores } from "./global-stores.js";
import { prepareTopics, type TopicPlan } from "./internal-topics.js";
import { resolveConfig, type ResolvedStreamsConfig, type StreamsConfig } from "./streams-config.js";
import { TaskManager, type TaskManagerStats } from "./task-manager.js";
import { StreamsError } from "./task.js";

/** Kafka's KafkaStreams.State. */
export type StreamsState = "CREATED" | "REBALANCING" | "RUNNING" | "PENDING_SHUTDOWN" | "NOT_RUNNING" | "ERROR";

interface Clients {
  admin: Admin;
  consumer: Consumer;
  restoreConsumer: Consumer;
  producer: Producer;
  globalConsumer: Consumer | null;
}

export class KafkaStreams {
  private readonly config: ResolvedStreamsConfig;
  private readonly log: Logger;
  private current: StreamsState = "CREATED";
  private readonly listeners: ((next: StreamsState, previous: StreamsState) => void)[] = [];
  private clients: Clients | null = null;
  private tasks: TaskManager | null = null;
  private loop: Promise<void> | null = null;
  private plan: TopicPlan | null = null;
  private globals: GlobalStores | null = null;
  private globalLoop: Promise<void> | null = null;
  /** The last rebalance finished handing out partitions (their tasks exist). */
  private assigned = false;
  /** Why the instance went to ERROR. */
  error: Error | null = null;

  constructor(
    readonly topology: Topology,
    config: StreamsConfig,
  ) {
    this.config = resolveConfig(config);
    this.log = config.logger ?? silentLogger;
  }

  get state(): StreamsState {
    return this.current;
  }

  onStateChange(listener: (next: StreamsState, previous: StreamsState) => void): void {
    this.listeners.push(listener);
  }

  /** Creates internal topics, joins the group and starts processing (resolves once started). */
  async start(): Promise<void> {
    if (this.current !== "CREATED") throw new StreamsError(`start() in state ${this.current}: an instance starts once`);
    this.setState("REBALANCING");
    const { applicationId, bootstrapServers } = this.config;
    const base = { bootstrapBrokers: [...bootstrapServers], logger: this.log };
    const admin = new Admin({ ...base, clientId: `${applicationId}-admin` });
    try {
      this.plan = await prepareTopics(admin, this.topology, applicationId, this.config.replicationFactor);
    } catch (e) {
      await admin.close();
      this.setState("ERROR");
      this.error = e as Error;
      throw e;
    }
    const producer = new Producer({
      ...base,
      clientId: `${applicationId}-producer`,
      acks: "all",
      lingerMs: 5,
      ...this.config.producer,
    });
    const restoreConsumer = new Consumer({
      ...base,
      clientId: `${applicationId}-restore-consumer`,
      autoOffsetReset: "earliest",
    });
    const collector = new ProducerCollector(producer);
    const globals = new GlobalStores(this.topology, {
      key: this.config.defaultKeySerde,
      value: this.config.defaultValueSerde,
    });
    let consumer: Consumer | null = null;
    const tasks = new TaskManager(
      this.topology,
      this.config,
      collector,
      () => consumer!,
      restoreConsumer,
      this.log,
      globals.stores,
    );
    consumer = new Consumer({
      ...base,
      clientId: `${applicationId}-consumer`,
      groupId: applicationId,
      autoOffsetReset: "earliest",
      ...this.config.consumer,
      // Streams commits itself, after output is acknowledged; range keeps co-partitioned topics together.
      autoCommit: false,
      assignors: ["range"],
      rebalanceListener: {
        onPartitionsRevoked: async (partitions) => {
          this.assigned = false;
          this.setState("REBALANCING");
          await tasks.onRevoked(partitions);
        },
        onPartitionsAssigned: (partitions) => {
          tasks.onAssigned(partitions);
          this.assigned = true;
        },
      },
    });
    const globalConsumer =
      globals.topics().length === 0
        ? null
        : new Consumer({ ...base, clientId: `${applicationId}-global-consumer`, autoOffsetReset: "earliest" });
    this.clients = { admin, consumer, restoreConsumer, producer, globalConsumer };
    this.tasks = tasks;
    this.globals = globals;
    // Global stores are loaded in full before any task processes (a join must see the table).
    const stopped = () => this.current === "PENDING_SHUTDOWN" || this.current === "ERROR";
    if (globalConsumer) await globals.bootstrap(globalConsumer, stopped);
    consumer.subscribe(tasks.sourceTopics());
    this.loop = this.runLoop(consumer, tasks);
    if (globalConsumer)
      this.globalLoop = globals
        .follow(globalConsumer, stopped)
        .catch((e: Error) => this.fail(e, "global stream thread"));
  }

  private fail(e: Error, where: string): void {
    this.error = e;
    this.log.error({ err: e.message }, `${where} failed`);
    this.setState("ERROR");
  }

  private async runLoop(consumer: Consumer, tasks: TaskManager): Promise<void> {
    const stopped = () => this.current === "PENDING_SHUTDOWN";
    let lastCommit = Date.now();
    try {
      while (!stopped()) {
        await tasks.restorePending(stopped);
        const batch = await consumer.nextBatch({ timeoutMs: this.config.pollMs });
        if (stopped()) break;
        await tasks.restorePending(stopped);
        if (batch !== null) tasks.process(batch);
        // RUNNING once the rebalance handed out tasks (possibly none) and they are restored.
        if (this.assigned && this.current === "REBALANCING") this.setState("RUNNING");
        const now = Date.now();
        tasks.punctuate(now);
        if (now - lastCommit >= this.config.commitIntervalMs) {
          this.purgeRepartitionTopics(await tasks.commit());
          lastCommit = Date.now();
        }
      }
    } catch (e) {
      this.fail(e as Error, "stream thread");
    }
  }

  /**
   * Repartition records below a committed offset are never read again: delete them (as Kafka
   * does after each commit) so repartition topics do not grow without bound. Best effort.
   */
  private purgeRepartitionTopics(committed: readonly { topic: string; partition: number; offset: bigint }[]): void {
    const admin = this.clients?.admin;
    const prefix = `${this.config.applicationId}-`;
    const internal = new Set([...this.topology.internalTopics].map((t) => prefix + t));
    const purgeable = committed.filter((c) => internal.has(c.topic));
    if (!admin || purgeable.length === 0) return;
    admin.deleteRecords(purgeable).catch((e: Error) => this.log.debug({ err: e.message }, "repartition purge failed"));
  }

  /** Stops processing, commits, closes tasks and clients; idempotent. */
  async close(): Promise<void> {
    if (this.current === "NOT_RUNNING" || this.current === "PENDING_SHUTDOWN") return;
    const failed = this.current === "ERROR";
    if (!failed) this.setState("PENDING_SHUTDOWN");
    await this.loop;
    await this.globalLoop;
    const { clients, tasks } = this;
    if (clients && tasks) {
      if (!failed)
        await tasks
          .commit()
          .then(() => tasks.checkpointAll())
          .catch((e: Error) => this.log.warn({ err: e.message }, "final commit or checkpoint failed"));
      tasks.closeAll();
      await Promise.allSettled([
        clients.consumer.close(),
        clients.restoreConsumer.close(),
        clients.producer.close(),
        clients.admin.close(),
        clients.globalConsumer?.close(),
      ]);
    }
    if (!failed) this.setState("NOT_RUNNING");
  }

  /** Counters: records processed, restored from changelogs, time spent restoring. */
  stats(): TaskManagerStats {
    const none = { processedRecords: 0, restoredRecords: 0, restoreMs: 0, checkpointRecords: 0 };
    const stats = { ...(this.tasks?.stats ?? none) };
    stats.restoredRecords += this.globals?.restoredRecords ?? 0;
    return stats;
  }

  /** Interactive query of a key-value store over this instance's active tasks. */
  keyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const stores = () => this.localStores<ReadOnlyKeyValueStore<K, V>>(name, "key-value");
    return {
      name,
      get: (key) => {
        for (const s of stores()) {
          const v = s.get(key);
          if (v !== null) return v;
        }
        return null;
      },
      all: () => stores().flatMap((s) => s.all()),
      approximateNumEntries: () => stores().reduce((n, s) => n + s.approximateNumEntries(), 0),
    };
  }

  /** Interactive query of a window store over this instance's active tasks. */
  windowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    const stores = () => this.localStores<ReadOnlyWindowStore<K, V>>(name, "window");
    return {
      name,
      fetch: (key, start) => {
        for (const s of stores()) {
          const v = s.fetch(key, start);
          if (v !== null) return v;
        }
        return null;
      },
      fetchRange: (key, from, to) => stores().flatMap((s) => s.fetchRange(key, from, to)),
      all: () => stores().flatMap((s) => s.all()),
    };
  }

  /**
   * Which partition (task) of a store holds `key`, and whether this instance has it: the default
   * partitioner's murmur2 of the serialized key, as the records were partitioned.
   */
  queryMetadataForKey<K>(
    storeName: string,
    key: K,
    keySerde: Serde<K>,
  ): { partition: number; taskId: string; local: boolean } {
    const sub = this.topology.subtopologies().find((s) => s.stores.includes(storeName));
    if (!sub || !this.plan) throw new StreamsError(`no store named ${storeName} (or the instance has not started)`);
    const bytes = keySerde.serialize(storeName, key);
    if (bytes === null) throw new StreamsError("a null key has no partition");
    const partition = toPositive(murmur2(bytes)) % this.plan.partitions.get(sub.id)!;
    const taskId = `${sub.id}_${partition}`;
    return { partition, taskId, local: this.tasks?.activeTasks().some((t) => t.id === taskId) ?? false };
  }

  private localStores<S>(name: string, kind: string): S[] {
    const global = this.globals?.stores.get(name);
    if (global !== undefined) return [global as unknown as S];
    if (!this.topology.stores.has(name)) throw new StreamsError(`no store named ${name}`);
    const out: S[] = [];
    for (const task of this.tasks?.activeTasks() ?? []) {
      const store = task.stores.get(name);
      if (store === undefined) continue;
      if (store.kind !== kind) throw new StreamsError(`store ${name} is a ${store.kind} store, not a ${kind} store`);
      out.push(store as unknown as S);
    }
    return out;
  }

  private setState(next: StreamsState): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    for (const l of this.listeners) l(next, previous);
  }
}
