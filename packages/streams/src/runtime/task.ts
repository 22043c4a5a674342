// A task: one sub-topology running over one input partition number, with its own processors and
// stores. Records go through the graph synchronously (stores are local); records for sinks and
// changelogs go to the RecordCollector, which the runtime sends in batches and flushes before it
// commits the task's input offsets (at-least-once: output and state are written before the offsets
// that would skip their inputs).
import type {
  Cancellable,
  Processor,
  ProcessorContext,
  PunctuationType,
  RecordMetadata,
  StateStore,
  StreamRecord,
} from "../processor.js";
import type { Serde } from "../serdes.js";
import type { ManagedStore } from "../state/store-base.js";
import type { SinkNode, Subtopology, Topology } from "../topology.js";

/** Where a task's output goes: sinks and changelogs. `partition` undefined: by key (murmur2). */
export interface RecordCollector {
  send(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    partition: number | undefined,
    headers: Readonly<Record<string, Buffer | string>> | undefined,
  ): void;
}

export interface TaskOptions {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly subtopology: Subtopology;
  readonly partition: number;
  readonly collector: RecordCollector;
  readonly defaultKeySerde: Serde<unknown> | undefined;
  readonly defaultValueSerde: Serde<unknown> | undefined;
  readonly nowMs: () => number;
  /** A record that does not deserialize: "fail" stops the stream thread, "continue" skips it. */
  readonly onDeserializationError?: (error: StreamsError) => "continue" | "fail";
  /** The instance's global stores (shared by every task). */
  readonly globalStores: ReadonlyMap<string, ManagedStore>;
}

export class StreamsError extends Error {
  override readonly name = "StreamsError";
}

export function changelogTopic(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

type Forwardable = { process(record: StreamRecord<unknown, unknown>): void };

interface Punctuation {
  readonly type: PunctuationType;
  readonly intervalMs: number;
  nextMs: number;
  readonly punctuator: (timestampMs: number) => void;
  cancelled: boolean;
}

export class StreamTask {
  readonly id: string;
  streamTimeMs = -1;
  readonly stores = new Map<string, ManagedStore>();
  /** Input topic -> next offset to consume (what a commit records). */
  readonly consumedOffsets = new Map<string, bigint>();
  private readonly sources = new Map<string, { serdes: [Serde<unknown>, Serde<unknown>]; children: Forwardable[] }>();
  private readonly processors: Processor<unknown, unknown, unknown, unknown>[] = [];
  private readonly punctuations: Punctuation[] = [];
  private current: RecordMetadata | null = null;
  private initialized = false;

  constructor(private readonly options: TaskOptions) {
    this.id = `${options.subtopology.id}_${options.partition}`;
    for (const name of options.subtopology.stores)
      this.stores.set(
        name,
        options.topology.stores.get(name)!.build({ key: options.defaultKeySerde, value: options.defaultValueSerde }),
      );
  }

  get partition(): number {
    return this.options.partition;
  }

  /** The changelog topic of each logged store of this task. */
  changelogs(): { store: ManagedStore; topic: string }[] {
    const out: { store: ManagedStore; topic: string }[] = [];
    for (const [name, store] of this.stores)
      if (this.options.topology.stores.get(name)!.logged)
        out.push({ store, topic: changelogTopic(this.options.applicationId, name) });
    return out;
  }

  /** Builds the processor graph; call after the stores were restored. */
  initialize(): void {
    if (this.initialized) return;
    this.initialized = true;
    const { topology, collector, partition, applicationId } = this.options;
    for (const { store, topic } of this.changelogs())
      store.attach({
        topic,
        logger: (key, value, timestamp) => collector.send(topic, key, value, timestamp, partition, undefined),
        streamTimeMs: () => Math.max(this.streamTimeMs, 0),
      });
    for (const [name, store] of this.stores)
      if (!topology.stores.get(name)!.logged)
        store.attach({ topic: name, logger: null, streamTimeMs: () => Math.max(this.streamTimeMs, 0) });
    const built = new Map<string, Forwardable>();
    // Children first: walk the nodes in reverse insertion order (parents were always added first).
    for (const name of [...this.options.subtopology.nodes].reverse()) {
      const node = topology.nodes.get(name)!;
      const children = topology.children(name).map((c) => built.get(c)!);
      if (node.kind === "sink") built.set(name, this.sink(node));
      else if (node.kind === "source") {
        const serdes: [Serde<unknown>, Serde<unknown>] = [
          this.serde(node.keySerde, "key", `source ${name}`),
          this.serde(node.valueSerde, "value", `source ${name}`),
        ];
        for (const t of node.topics) this.sources.set(topology.resolveTopic(applicationId, t), { serdes, children });
      } else {
        const processor = node.supplier();
        const context = this.context(node.name, node.stores, children, topology.children(name));
        this.processors.push(processor);
        built.set(name, {
          process: (record) => processor.process(record),
        });
        processor.init?.(context);
      }
    }
  }

  /** Processes one input record (its source topic as named on the cluster). */
  process(
    topic: string,
    offset: bigint,
    timestamp: number,
    key: Buffer | null,
    value: Buffer | null,
    headers?: Readonly<Record<string, Buffer | string>>,
  ): void {
    const source = this.sources.get(topic);
    if (!source) throw new StreamsError(`task ${this.id} has no source for topic ${topic}`);
    this.current = { topic, partition: this.options.partition, offset };
    let record: StreamRecord<unknown, unknown>;
    try {
      record = {
        key: source.serdes[0].deserialize(topic, key),
        value: source.serdes[1].deserialize(topic, value),
        timestamp,
        ...(headers === undefined ? {} : { headers }),
      };
    } catch (e) {
      const error = new StreamsError(
        `task ${this.id}: cannot deserialize ${topic}-${this.options.partition}@${offset}: ${(e as Error).message}`,
      );
      // Kafka's deserialization exception handler: fail (the default) or skip the record.
      if (this.options.onDeserializationError?.(error) !== "continue") throw error;
      this.current = null;
      this.consumedOffsets.set(topic, offset + 1n);
      return;
    }
    if (timestamp > this.streamTimeMs) this.streamTimeMs = timestamp;
    for (const child of source.children) child.process(record);
    this.current = null;
    this.consumedOffsets.set(topic, offset + 1n);
    this.punctuate("stream-time", this.streamTimeMs);
  }

  /** Runs due punctuators of the given type (wall-clock: the runtime calls this on its loop). */
  punctuate(type: PunctuationType, nowMs: number): void {
    for (const p of this.punctuations) {
      if (p.cancelled || p.type !== type || nowMs < p.nextMs) continue;
      while (p.nextMs <= nowMs) p.nextMs += p.intervalMs;
      p.punctuator(nowMs);
    }
  }

  close(): void {
    for (const p of this.processors) p.close?.();
    for (const s of this.stores.values()) s.close();
  }

  private sink(node: SinkNode): Forwardable {
    const { collector, topology, applicationId } = this.options;
    const topic = topology.resolveTopic(applicationId, node.topic);
    const keySerde = this.serde(node.keySerde, "key", `sink ${node.name} (topic ${node.topic})`);
    const valueSerde = this.serde(node.valueSerde, "value", `sink ${node.name} (topic ${node.topic})`);
    return {
      process: (r) =>
        collector.send(
          topic,
          keySerde.serialize(topic, r.key),
          valueSerde.serialize(topic, r.value),
          r.timestamp,
          undefined,
          r.headers,
        ),
    };
  }

  private serde(serde: Serde<unknown> | undefined, what: "key" | "value", where: string): Serde<unknown> {
    const found = serde ?? (what === "key" ? this.options.defaultKeySerde : this.options.defaultValueSerde);
    if (found !== undefined) return found;
    // Fails when used, not when built: a source whose records never reach here needs no serde.
    const fail = (): never => {
      throw new StreamsError(
        `${where}: no ${what} serde; pass one (e.g. { ${what}: Serdes.string() }) or set default${what === "key" ? "Key" : "Value"}Serde`,
      );
    };
    return { serialize: fail, deserialize: fail };
  }

  private context(
    name: string,
    stores: ReadonlySet<string>,
    children: Forwardable[],
    childNames: string[],
  ): ProcessorContext<unknown, unknown> {
    const task = this;
    return {
      applicationId: this.options.applicationId,
      taskId: this.id,
      partition: this.options.partition,
      forward(record, childName) {
        if (childName === undefined) {
          for (const c of children) c.process(record);
          return;
        }
        const i = childNames.indexOf(childName);
        if (i < 0) throw new StreamsError(`${name}: no child named ${childName}`);
        children[i]!.process(record);
      },
      getStateStore<S extends StateStore>(storeName: string): S {
        const store = task.stores.get(storeName) ?? task.options.globalStores.get(storeName);
        if (!store || !stores.has(storeName))
          throw new StreamsError(`processor ${name} is not connected to a store named ${storeName}`);
        return store as unknown as S;
      },
      schedule(intervalMs, type, punctuator): Cancellable {
        if (!(intervalMs >= 1)) throw new RangeError(`punctuation interval must be >= 1 ms, got ${intervalMs}`);
        const start = type === "stream-time" ? Math.max(task.streamTimeMs, 0) : task.options.nowMs();
        const p: Punctuation = { type, intervalMs, nextMs: start + intervalMs, punctuator, cancelled: false };
        task.punctuations.push(p);
        return {
          cancel: () => {
            p.cancelled = true;
          },
        };
      },
      currentStreamTimeMs: () => task.streamTimeMs,
      currentSystemTimeMs: () => task.options.nowMs(),
      recordMetadata: () => task.current,
    };
  }
}
