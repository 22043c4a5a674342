export { startBroker, IN_MEMORY, type Broker, type StartBrokerOptions } from "./broker.js";
export {
  buildBrokerConfig,
  configFromEnv,
  ConfigError,
  parseListeners,
  BROKER_KEYS,
  type BrokerConfig,
  type BrokerKey,
  type ConfigOverrides,
  type ConfigValue,
  type Listener,
} from "./config/broker-config.js";
export { loadBrokerConfig, type LoadConfigOptions } from "./config/load.js";
export {
  parseQuorumVoters,
  processRoles,
  hasRole,
  controllerListenerNames,
  controllerListener,
  brokerListener,
  brokerListeners,
  effectiveAdvertisedListeners,
  quorumBootstrapServers,
  securityProtocolMap,
  logDirs,
  metadataLogDir,
  isEmbeddedQuorum,
  isSingleNodeQuorum,
  validateKRaftConfig,
  configWarnings,
  type ConfigWarning,
} from "./config/kraft.js";
export type { HostPort, ProcessRole, QuorumVoter, SecurityProtocol } from "./config/parsers.js";
export {
  checkStorage,
  describeMetaProperties,
  formatStorage,
  META_PROPERTIES,
  METADATA_VERSION,
  randomUuid,
  readMetaProperties,
  StorageError,
  storageDirs,
  storageInfo,
  uuidProblem,
  type CheckStorageOptions,
  type FormatResult,
  type FormatStorageOptions,
  type FormattedDir,
  type MetaProperties,
  type StorageInfo,
  type StorageState,
} from "./metadata/meta-properties.js";

export { parseProperties, formatProperties } from "./config/properties.js";
export {
  TOPIC_KEYS,
  validateTopicConfig,
  resolveTopicConfigs,
  toLogConfig,
  type TopicConfigOverrides,
  type TopicLogConfig,
} from "./config/topic-config.js";
export { BrokerServices, type BrokerModule, type BrokerEndpoint } from "./services.js";
export { HANDLERS } from "./handlers/index.js";
export { NO_RESPONSE, type Handler, type RequestContext, type NoResponse } from "./handlers/types.js";
export { ErrorCode } from "./errors.js";
export type { PartitionLog, AppendResult } from "./log/partition-log.js";
export type {
  TopicManager,
  TopicState,
  PartitionState,
  LeaderPartition,
  LeaderLookup,
  LeadershipListener,
} from "./metadata/topic-manager.js";
export type { TopicAdmin, CreateSpec, CreateResult, TopicResult } from "./metadata/topic-admin.js";
export type { ClusterNode } from "./cluster/cluster-node.js";
export { BrokerMetrics } from "./metrics/index.js";
export { LogMaintenance, LOG_MAINTENANCE_MODULE, type CleanedPartition } from "./log/log-maintenance.js";
export { createBrokerLogger, type BrokerLoggerOptions } from "./logger.js";
export * from "./cluster/start-cluster.js";
