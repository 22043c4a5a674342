export { StreamsBuilder, type Consumed } from "./dsl/builder.js";
export {
  KStream,
  BranchedKStream,
  type Produced,
  type Grouped,
  type Repartitioned,
  type StreamJoined,
} from "./dsl/kstream.js";
export { KTable, Suppressed, type ValueGetter } from "./dsl/ktable.js";
export { GlobalKTable } from "./dsl/global-ktable.js";
export { KGroupedTable } from "./dsl/kgrouped-table.js";
export { KGroupedStream, TimeWindowedKStream, type Materialized } from "./dsl/kgrouped-stream.js";
export { SessionWindowedKStream } from "./dsl/session-windowed.js";
export { windowedSerde, sessionWindowedSerde } from "./dsl/windowed-serdes.js";
export {
  Topology,
  TopologyError,
  type Subtopology,
  type TopologyNode,
  type SourceNode,
  type ProcessorNode,
  type SinkNode,
} from "./topology.js";
export type {
  StreamRecord,
  KeyValue,
  RecordMetadata,
  PunctuationType,
  Cancellable,
  StateStore,
  ProcessorContext,
  Processor,
  ProcessorSupplier,
  Change,
} from "./processor.js";
export { Serdes, SerdeError, serdeFrom, type Serde } from "./serdes.js";
export { TimeWindows, SessionWindows, JoinWindows, type Window, type Windowed } from "./windows.js";
export { Stores, type StoreOptions } from "./state/stores.js";
export type { StoreBuilder, StoreKind, ManagedStore, DefaultSerdes } from "./state/store-base.js";
export { InMemoryKeyValueStore, type KeyValueStore, type ReadOnlyKeyValueStore } from "./state/key-value-store.js";
export {
  InMemorySessionStore,
  type Session,
  type SessionStore,
  type ReadOnlySessionStore,
} from "./state/session-store.js";
export { InMemoryWindowStore, type WindowStore, type ReadOnlyWindowStore } from "./state/window-store.js";
export { StreamTask, StreamsError, changelogTopic, type RecordCollector } from "./runtime/task.js";
export { TopologyTestDriver, TestInputTopic, TestOutputTopic, type TestDriverOptions } from "./test-driver.js";
export { KafkaStreams, type StreamsState } from "./runtime/kafka-streams.js";
export type { StreamsConfig, ProcessingGuarantee } from "./runtime/streams-config.js";
export type { TaskManagerStats } from "./runtime/task-manager.js";
export { planTopics, type TopicPlan } from "./runtime/internal-topics.js";
