// Topic-level configs (Kafka's names), their broker-level defaults, validation, and the mapping onto
// the storage engine's LogConfig. Per-topic overrides are stored with the topic and changed at
// runtime through AlterConfigs / IncrementalAlterConfigs.
import type { LogConfig } from "@gregor/storage";
import { type BrokerConfig, retentionMs, rollMs } from "./broker-config.js";

/** DescribeConfigs configType values (KIP-569). */
export const ConfigType = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

interface TopicKeyDef {
  type: number;
  /** The broker key whose value is the default, or a fixed default. */
  brokerDefault: (c: BrokerConfig) => string;
  valid: (v: string) => boolean;
  allowed: string;
}

const LONG_MAX = "9223372036854775807";
const isInt =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (v: string) =>
    /^-?\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max;
const isLong = (min: number) => (v: string) => /^-?\d+$/.test(v.trim()) && Number(v) >= min;
const oneOf =
  (...xs: string[]) =>
  (v: string) =>
    xs.includes(v.trim());
const fixed = (s: string) => () => s;
const bool = oneOf("true", "false");
const longStr = (n: number | null): string => (n === null || n >= Number.MAX_SAFE_INTEGER ? LONG_MAX : String(n));

export const TOPIC_KEYS: Record<string, TopicKeyDef> = {
  "cleanup.policy": {
    type: ConfigType.LIST,
    brokerDefault: (c) => c["log.cleanup.policy"],
    valid: oneOf("delete", "compact", "compact,delete", "delete,compact"),
    allowed: "[delete, compact]",
  },
  "compression.type": {
    type: ConfigType.STRING,
    brokerDefault: (c) => c["compression.type"],
    valid: oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
    allowed: "[uncompressed, zstd, lz4, snappy, gzip, producer]",
  },
  "delete.retention.ms": {
    type: ConfigType.LONG,
    brokerDefault: (c) => String(c["log.cleaner.delete.retention.ms"]),
    valid: isLong(0),
    allowed: "[0,...]",
  },
  "file.delete.delay.ms": {
    type: ConfigType.LONG,
    brokerDefault: fixed("60000"),
    valid: isLong(0),
    allowed: "[0,...]",
  },
  "flush.messages": {
    type: ConfigType.LONG,
    brokerDefault: (c) => longStr(c["log.flush.interval.messages"]),
    valid: isLong(1),
    allowed: "[1,...]",
  },
  "flush.ms": {
    type: ConfigType.LONG,
    brokerDefault: (c) => longStr(c["log.flush.interval.ms"]),
    valid: isLong(0),
    allowed: "[0,...]",
  },
  "index.interval.bytes": {
    type: ConfigType.INT,
    brokerDefault: (c) => String(c["log.index.interval.bytes"]),
    valid: isInt(0, 2147483647),
    allowed: "[0,...]",
  },
  "max.compaction.lag.ms": {
    type: ConfigType.LONG,
    brokerDefault: (c) => longStr(c["log.cleaner.max.compaction.lag.ms"]),
    valid: isLong(1),
    allowed: "[1,...]",
  },
  "max.message.bytes": {
    type: ConfigType.INT,
    brokerDefault: (c) => String(c["message.max.bytes"]),
    valid: isInt(0, 2147483647),
    allowed: "[0,...]",
  },
  "message.timestamp.type": {
    type: ConfigType.STRING,
    brokerDefault: (c) => c["log.message.timestamp.type"],
    valid: oneOf("CreateTime", "LogAppendTime"),
    allowed: "[CreateTime, LogAppendTime]",
  },
  "min.cleanable.dirty.ratio": {
    type: ConfigType.DOUBLE,
    brokerDefault: (c) => String(c["log.cleaner.min.cleanable.ratio"]),
    valid: (v) => Number(v) >= 0 && Number(v) <= 1,
    allowed: "[0,...,1]",
  },
  "min.compaction.lag.ms": {
    type: ConfigType.LONG,
    brokerDefault: (c) => String(c["log.cleaner.min.compaction.lag.ms"]),
    valid: isLong(0),
    allowed: "[0,...]",
  },
  "min.insync.replicas": {
    type: ConfigType.INT,
    brokerDefault: (c) => String(c["min.insync.replicas"]),
    valid: isInt(1, 2147483647),
    allowed: "[1,...]",
  },
  preallocate: { type: ConfigType.BOOLEAN, brokerDefault: fixed("false"), valid: bool, allowed: "true or false" },
  "retention.bytes": {
    type: ConfigType.LONG,
    brokerDefault: (c) => String(c["log.retention.bytes"]),
    valid: isLong(-1),
    allowed: "[-1,...]",
  },
  "retention.ms": {
    type: ConfigType.LONG,
    brokerDefault: (c) => String(retentionMs(c)),
    valid: isLong(-1),
    allowed: "[-1,...]",
  },
  "segment.bytes": {
    type: ConfigType.INT,
    brokerDefault: (c) => String(c["log.segment.bytes"]),
    valid: isInt(14, 2147483647),
    allowed: "[14,...]",
  },
  "segment.index.bytes": {
    type: ConfigType.INT,
    brokerDefault: (c) => String(c["log.index.size.max.bytes"]),
    valid: isInt(4, 2147483647),
    allowed: "[4,...]",
  },
  "segment.ms": {
    type: ConfigType.LONG,
    brokerDefault: (c) => String(rollMs(c)),
    valid: isLong(1),
    allowed: "[1,...]",
  },
  "unclean.leader.election.enable": {
    type: ConfigType.BOOLEAN,
    brokerDefault: fixed("false"),
    valid: bool,
    allowed: "true or false",
  },
};

export type TopicConfigOverrides = Record<string, string>;

/** Returns an error message for a bad (key, value), or null when valid. */
export function validateTopicConfig(key: string, value: string | null): string | null {
  const def = TOPIC_KEYS[key];
  if (def === undefined) return `Unknown topic config name: ${key}`;
  if (value === null) return null;
  if (!def.valid(value)) return `Invalid value ${value} for configuration ${key}: allowed ${def.allowed}`;
  return null;
}

export interface ResolvedTopicConfig {
  name: string;
  value: string;
  isDefault: boolean;
  type: number;
}

/** Every topic config with its effective value (override, else broker default). */
export function resolveTopicConfigs(broker: BrokerConfig, overrides: TopicConfigOverrides): ResolvedTopicConfig[] {
  return Object.entries(TOPIC_KEYS).map(([name, def]) => {
    const o = overrides[name];
    return { name, value: o ?? def.brokerDefault(broker), isDefault: o === undefined, type: def.type };
  });
}

export function topicConfigValue(broker: BrokerConfig, overrides: TopicConfigOverrides, key: string): string {
  const o = overrides[key];
  if (o !== undefined) return o;
  const def = TOPIC_KEYS[key];
  if (def === undefined) throw new Error(`unknown topic config ${key}`);
  return def.brokerDefault(broker);
}

const toNum = (s: string): number => {
  const n = Number(s);
  return n >= Number.MAX_SAFE_INTEGER ? Infinity : n;
};

/** The storage engine's view of a topic's configs: the topic-level part of storage's LogConfig. */
export type TopicLogConfig = Pick<
  LogConfig,
  | "segmentBytes"
  | "segmentMs"
  | "segmentIndexBytes"
  | "indexIntervalBytes"
  | "maxMessageBytes"
  | "retentionMs"
  | "retentionBytes"
  | "flushMessages"
  | "flushMs"
  | "messageTimestampType"
  | "cleanupPolicy"
  | "minCompactionLagMs"
  | "maxCompactionLagMs"
  | "deleteRetentionMs"
  | "minCleanableDirtyRatio"
>;

export function toLogConfig(broker: BrokerConfig, overrides: TopicConfigOverrides): TopicLogConfig {
  const v = (key: string): string => topicConfigValue(broker, overrides, key);
  return {
    segmentBytes: toNum(v("segment.bytes")),
    segmentMs: toNum(v("segment.ms")),
    segmentIndexBytes: toNum(v("segment.index.bytes")),
    indexIntervalBytes: toNum(v("index.interval.bytes")),
    maxMessageBytes: toNum(v("max.message.bytes")),
    retentionMs: toNum(v("retention.ms")) === Infinity ? -1 : toNum(v("retention.ms")),
    retentionBytes: toNum(v("retention.bytes")),
    flushMessages: toNum(v("flush.messages")),
    flushMs: toNum(v("flush.ms")),
    messageTimestampType: v("message.timestamp.type") === "LogAppendTime" ? "LogAppendTime" : "CreateTime",
    cleanupPolicy: cleanupPolicy(v("cleanup.policy")),
    minCompactionLagMs: toNum(v("min.compaction.lag.ms")),
    maxCompactionLagMs: toNum(v("max.compaction.lag.ms")),
    deleteRetentionMs: toNum(v("delete.retention.ms")),
    minCleanableDirtyRatio: Number(v("min.cleanable.dirty.ratio")),
  };
}

function cleanupPolicy(v: string): TopicLogConfig["cleanupPolicy"] {
  const parts = new Set(v.split(",").map((x) => x.trim()));
  if (parts.has("compact") && parts.has("delete")) return "compact,delete";
  return parts.has("compact") ? "compact" : "delete";
}
