export { Connection, DEFAULT_VERSION_CAPS, type ConnectionOptions } from "./connection.js";
export { Cluster, type BrokerInfo, type PartitionInfo, type TopicInfo } from "./cluster.js";
export type { SaslOptions, SaslMechanism } from "./sasl.js";
export { type Logger, silentLogger } from "./logger.js";
export {
  GregorClientError,
  KafkaProtocolError,
  KafkaConnectionError,
  KafkaTimeoutError,
  InvalidOptionsError,
  ResponseDecodeError,
  errorName,
  isRetriableCode,
} from "./errors.js";
export type { ClientOptions } from "./options.js";
export {
  murmur2,
  toPositive,
  murmur2Partitioner,
  StickyPartitions,
  type Partitioner,
  type PartitionerInput,
} from "./partitioner.js";
export { Producer, type ProducerRecord, type RecordMetadata } from "./producer.js";
export type { ProducerOptions } from "./producer-options.js";
export { Consumer, type PartitionAssignment, type StartPosition } from "./consumer.js";
export type { ConsumerOptions, RebalanceListener } from "./consumer-options.js";
export { Message, type MessageBatch, type MessageHeader } from "./message.js";
export {
  rangeAssignor,
  cooperativeStickyAssignor,
  type Assignor,
  type MemberSubscription,
  type GroupAssignment,
  type TopicPartitions,
} from "./assignors.js";
export type { CommittedOffset } from "./group.js";
export { listOffsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type OffsetQuery, type OffsetAnswer } from "./offsets.js";
export {
  Admin,
  type NewTopic,
  type ConfigEntry,
  type ConfigOp,
  type ConfigResourceType,
  type GroupDescription,
  type ClusterDescription,
} from "./admin.js";
