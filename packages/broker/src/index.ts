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
export type { TopicManager, TopicState, PartitionState } from "./metadata/topic-manager.js";
export { BrokerMetrics } from "./metrics/index.js";
export { LogMaintenance, LOG_MAINTENANCE_MODULE, type CleanedPartition } from "./log/log-maintenance.js";
export { createBrokerLogger, type BrokerLoggerOptions } from "./logger.js";
