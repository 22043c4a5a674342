// The Processor API under the DSL (Kafka's org.apache.kafka.streams.processor.api): a processor
// takes one record at a time, may read and write the state stores connected to it, forwards records
// to its children and schedules punctuators on stream time or wall-clock time. Processing is
// synchronous: stores are local, and output records are collected and sent in batches by the task.

/** A record as processors see it: typed key and value, event time, headers. */
export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time, milliseconds since the epoch. */
  readonly timestamp: number;
  readonly headers?: Readonly<Record<string, Buffer | string>>;
}

/** A key and a value, what map/flatMap return. */
export type KeyValue<K, V> = readonly [K, V];

/** Where the record being processed came from (null inside a punctuator). */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** KIP-138: stream time advances with record timestamps, wall-clock time with the system clock. */
export type PunctuationType = "stream-time" | "wall-clock-time";

export interface Cancellable {
  cancel(): void;
}

/** A local state store (key-value, window or session), owned by one task. */
export interface StateStore {
  readonly name: string;
}

export interface ProcessorContext<KOut = never, VOut = never> {
  readonly applicationId: string;
  /** `<subtopology>_<partition>`, as Kafka names tasks. */
  readonly taskId: string;
  /** The input partition number of the task (every source of a task reads the same number). */
  readonly partition: number;
  /** Sends a record to every child, or to the one named. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
  /** A store connected to this processor (by the DSL, or by `process(supplier, ...storeNames)`). */
  getStateStore<S extends StateStore>(name: string): S;
  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestampMs: number) => void): Cancellable;
  /** The largest record timestamp the task has seen (-1 before the first). */
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
  recordMetadata(): RecordMetadata | null;
}

export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

/** A new processor per task: processors hold per-task state (their context, store handles). */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>;

/** The current and the previous value of a table row (Kafka's Change): tables forward both. */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
}
