// Shared by DescribeConfigs / AlterConfigs / IncrementalAlterConfigs: resource types, config
// sources, and applying a validated set of topic overrides.
import { BROKER_KEYS } from "../config/broker-config.js";
import { resolveTopicConfigs, TOPIC_KEYS, validateTopicConfig } from "../config/topic-config.js";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  configType: number;
}

export interface ResourceResult {
  errorCode: number;
  errorMessage: string | null;
}

export function describeTopicConfigs(s: BrokerServices, topic: string): DescribedConfig[] | ResourceResult {
  const t = s.topics.get(topic);
  if (t === undefined)
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${topic} does not exist.` };
  return resolveTopicConfigs(s.config, t.configs).map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: false,
    isDefault: c.isDefault,
    configSource: c.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.DYNAMIC_TOPIC_CONFIG,
    isSensitive: false,
    configType: c.type,
  }));
}

/** A broker config as Kafka prints it; longs at Long.MAX_VALUE (held as a double) keep all digits. */
function brokerConfigValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" && value >= Number.MAX_SAFE_INTEGER) return "9223372036854775807";
  return String(value);
}

export function describeBrokerConfigs(s: BrokerServices, name: string): DescribedConfig[] | ResourceResult {
  if (name !== "" && name !== String(s.nodeId))
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unexpected broker id, expected ${s.nodeId} but received ${name}`,
    };
  const out: DescribedConfig[] = [];
  for (const [key, def] of Object.entries(BROKER_KEYS)) {
    const value = (s.config as unknown as Record<string, unknown>)[key];
    const isDefault = value === def.default;
    out.push({
      name: key,
      value: brokerConfigValue(value),
      readOnly: true,
      isDefault,
      configSource: isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG,
      isSensitive: false,
      configType: typeof value === "number" ? 5 : typeof value === "boolean" ? 1 : 2,
    });
  }
  return out;
}

/** Validates and (unless validateOnly) stores a topic's complete new override set via the controller. */
export async function applyTopicConfigs(
  s: BrokerServices,
  topic: string,
  next: Record<string, string>,
  validateOnly: boolean,
): Promise<ResourceResult> {
  if (s.topics.get(topic) === undefined)
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${topic} does not exist.` };
  for (const [key, value] of Object.entries(next)) {
    const err = validateTopicConfig(key, value);
    if (err !== null) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: err };
  }
  // Through the controller (KIP-590), which validates again and writes Config records.
  const result = await s.admin.setConfigs(topic, next, validateOnly);
  if (!validateOnly && result.errorCode === ErrorCode.NONE)
    s.logger.info({ topic, configs: next }, "updated topic configs");
  return result;
}

export function brokerNotAlterable(s: BrokerServices, name: string): ResourceResult {
  if (name !== "" && name !== String(s.nodeId))
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id ${name}` };
  return {
    errorCode: ErrorCode.INVALID_CONFIG,
    errorMessage: "Broker configs cannot be updated dynamically; restart with --override key=value.",
  };
}

export function isListConfig(key: string): boolean {
  return TOPIC_KEYS[key]?.type === 7;
}
