// Broker configuration with Kafka's property names and defaults, validated with zod. Sources, lowest
// precedence first: defaults, a server.properties file, GREGOR_* environment variables, overrides
// (`--override key=value` or startBroker({ config })). A bad value throws a ConfigError naming the
// key, the value and what is allowed.
import { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid value ${JSON.stringify(value)} for configuration ${key}: ${allowed}`);
  }
}

/** Java's Long.MAX_VALUE (2^63 - 1) as a double: 2^63, the nearest one. */
const LONG_MAX = 2 ** 63;

function num(v: unknown): unknown {
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v.trim());
    return Number.isNaN(n) ? v : n;
  }
  return v;
}
function bool(v: unknown): unknown {
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
  }
  return v;
}
const int = (min: number, max = 2147483647) => z.preprocess(num, z.number().int().min(min).max(max));
const long = (min: number) =>
  z.preprocess(
    num,
    z
      .number()
      .min(min)
      .max(LONG_MAX)
      .refine((n) => Number.isInteger(n) || n >= Number.MAX_SAFE_INTEGER),
  );
const boolean = () => z.preprocess(bool, z.boolean());
const str = () => z.preprocess((v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v), z.string());
const oneOf = <T extends string>(...values: [T, ...T[]]) =>
  z.preprocess((v) => (typeof v === "string" ? v.trim() : v), z.enum(values));

interface KeyDef<S extends z.ZodType = z.ZodType> {
  schema: S;
  default: unknown;
  allowed: string;
}
const k = <S extends z.ZodType>(schema: S, dflt: unknown, allowed: string): KeyDef<S> => ({
  schema,
  default: dflt,
  allowed,
});

/** Every broker key Gregor understands, with Kafka's default (except log.dirs: ./data). */
export const BROKER_KEYS = {
  "node.id": k(int(0), 1, "an integer >= 0"),
  "process.roles": k(str(), "broker,controller", "broker, controller or broker,controller"),
  "controller.quorum.voters": k(str(), "", "a list of id@host:port"),
  "controller.listener.names": k(str(), "CONTROLLER", "listener names"),
  listeners: k(
    str().refine((s) => parseListeners(s) !== null),
    "PLAINTEXT://:9092",
    "a comma-separated list of NAME://host:port",
  ),
  "advertised.listeners": k(
    str().refine((s) => s === "" || parseListeners(s) !== null),
    "",
    "a comma-separated list of NAME://host:port",
  ),
  "listener.security.protocol.map": k(str(), "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT", "NAME:PROTOCOL pairs"),
  "inter.broker.listener.name": k(str(), "PLAINTEXT", "a listener name"),
  "log.dirs": k(
    str().refine((s) => s.trim() !== ""),
    "./data",
    "a non-empty comma-separated list of directories",
  ),
  "num.partitions": k(int(1), 1, "an integer >= 1"),
  "default.replication.factor": k(int(1, 32767), 1, "an integer in [1, 32767]"),
  "min.insync.replicas": k(int(1), 1, "an integer >= 1"),
  "auto.create.topics.enable": k(boolean(), true, "true or false"),
  "delete.topic.enable": k(boolean(), true, "true or false"),
  "socket.request.max.bytes": k(int(1), 104857600, "an integer >= 1"),
  "queued.max.requests": k(int(1), 500, "an integer >= 1 (Gregor: in-flight requests per connection)"),
  "connections.max.idle.ms": k(long(-1), 600000, "an integer >= -1"),
  "message.max.bytes": k(int(0), 1048588, "an integer >= 0"),
  "log.segment.bytes": k(int(14), 1073741824, "an integer in [14, 2147483647]"),
  "log.roll.hours": k(int(1), 168, "an integer >= 1"),
  "log.roll.ms": k(long(1).nullable(), null, "an integer >= 1"),
  "log.retention.hours": k(int(-1), 168, "an integer >= -1"),
  "log.retention.minutes": k(int(-1).nullable(), null, "an integer >= -1"),
  "log.retention.ms": k(long(-1).nullable(), null, "an integer >= -1"),
  "log.retention.bytes": k(long(-1), -1, "an integer >= -1"),
  "log.retention.check.interval.ms": k(long(1), 300000, "an integer >= 1"),
  "log.flush.interval.messages": k(long(1), LONG_MAX, "an integer >= 1"),
  "log.flush.interval.ms": k(long(0).nullable(), null, "an integer >= 0"),
  "log.message.timestamp.type": k(oneOf("CreateTime", "LogAppendTime"), "CreateTime", "CreateTime or LogAppendTime"),
  "log.cleanup.policy": k(
    oneOf("delete", "compact", "compact,delete", "delete,compact"),
    "delete",
    "delete, compact or compact,delete",
  ),
  "log.index.interval.bytes": k(int(0), 4096, "an integer >= 0"),
  "log.index.size.max.bytes": k(int(4), 10485760, "an integer >= 4"),
  "log.cleaner.delete.retention.ms": k(long(0), 86400000, "an integer >= 0"),
  "log.cleaner.enable": k(boolean(), true, "true or false"),
  "log.cleaner.backoff.ms": k(long(0), 15000, "an integer >= 0"),
  "log.cleaner.min.cleanable.ratio": k(z.preprocess(num, z.number().min(0).max(1)), 0.5, "a number in [0, 1]"),
  "log.cleaner.min.compaction.lag.ms": k(long(0), 0, "an integer >= 0"),
  "log.cleaner.max.compaction.lag.ms": k(long(1), LONG_MAX, "an integer >= 1"),
  "compression.type": k(
    oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
    "producer",
    "producer, uncompressed, gzip, snappy, lz4 or zstd",
  ),
  "offsets.topic.num.partitions": k(int(1), 50, "an integer >= 1"),
  "offsets.topic.replication.factor": k(int(1, 32767), 1, "an integer in [1, 32767]"),
  "offsets.topic.segment.bytes": k(int(1), 104857600, "an integer >= 1"),
  "offsets.retention.minutes": k(int(1), 10080, "an integer >= 1"),
  "offsets.retention.check.interval.ms": k(long(1), 600000, "an integer >= 1"),
  "group.initial.rebalance.delay.ms": k(int(0), 3000, "an integer >= 0"),
  "group.min.session.timeout.ms": k(int(0), 6000, "an integer >= 0"),
  "group.max.session.timeout.ms": k(int(0), 1800000, "an integer >= 0"),
  "group.max.size": k(int(1), 2147483647, "an integer >= 1"),
  "transaction.state.log.num.partitions": k(int(1), 50, "an integer >= 1"),
  "transactional.id.expiration.ms": k(int(1), 604800000, "an integer >= 1"),
  "broker.rack": k(str().nullable(), null, "a string"),
  "gregor.admin.port": k(int(-1, 65535), 9644, "a port in [0, 65535], or -1 to disable"),
} as const satisfies Record<string, KeyDef>;

export type BrokerKey = keyof typeof BROKER_KEYS;
export type BrokerConfig = { [K in BrokerKey]: z.output<(typeof BROKER_KEYS)[K]["schema"]> } & {
  /** Keys Gregor does not know (kept, and logged as ignored at start-up). */
  readonly unknown: Readonly<Record<string, string>>;
};

export type ConfigValue = string | number | boolean;
export type ConfigOverrides = Record<string, ConfigValue | null | undefined>;

/** Kafka aliases that map onto a key above. */
const ALIASES: Record<string, BrokerKey> = { "log.dir": "log.dirs", "broker.id": "node.id" };

/**
 * Builds the typed config from layered sources (later layers win). Values are strings from files or
 * the environment, or JS values from code. Throws ConfigError on the first bad value.
 */
export function buildBrokerConfig(...layers: (ConfigOverrides | Map<string, string>)[]): BrokerConfig {
  const raw = new Map<string, unknown>();
  for (const layer of layers) {
    const entries = layer instanceof Map ? layer.entries() : Object.entries(layer);
    for (const [key0, value] of entries) {
      if (value === undefined) continue;
      const key = ALIASES[key0] ?? key0;
      raw.set(key, value);
    }
  }
  const out: Record<string, unknown> = {};
  const unknown: Record<string, string> = {};
  for (const [key, value] of raw) if (!(key in BROKER_KEYS)) unknown[key] = String(value);
  for (const [key, def] of Object.entries(BROKER_KEYS) as [BrokerKey, KeyDef][]) {
    const value = raw.has(key) ? raw.get(key) : def.default;
    if (value === null && def.default === null) {
      out[key] = null;
      continue;
    }
    const parsed = def.schema.safeParse(value);
    if (!parsed.success) throw new ConfigError(key, value, def.allowed);
    out[key] = parsed.data;
  }
  out.unknown = unknown;
  const config = out as BrokerConfig;
  if (config["group.min.session.timeout.ms"] > config["group.max.session.timeout.ms"]) {
    throw new ConfigError(
      "group.min.session.timeout.ms",
      config["group.min.session.timeout.ms"],
      "at most group.max.session.timeout.ms",
    );
  }
  return config;
}

/** `GREGOR_LOG_DIRS=/x` -> `log.dirs=/x` (lower-case, `_` -> `.`; `__` -> `_` for keys with underscores). */
export function configFromEnv(env: Record<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("GREGOR_") || value === undefined) continue;
    // "__" is a literal "_", any other "_" a ".".
    const key = name
      .slice(7)
      .toLowerCase()
      .split("__")
      .map((part) => part.replace(/_/g, "."))
      .join("_");
    out.set(key, value);
  }
  return out;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function parseListeners(s: string): Listener[] | null {
  const out: Listener[] = [];
  for (const part of s
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(part);
    if (m === null) return null;
    const port = Number(m[3]);
    if (port > 65535) return null;
    out.push({ name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ""), port });
  }
  return out.length > 0 ? out : null;
}

/** log.retention.ms, else .minutes, else .hours (Kafka's precedence). */
export function retentionMs(c: BrokerConfig): number {
  if (c["log.retention.ms"] !== null) return c["log.retention.ms"];
  if (c["log.retention.minutes"] !== null)
    return c["log.retention.minutes"] === -1 ? -1 : c["log.retention.minutes"] * 60_000;
  return c["log.retention.hours"] === -1 ? -1 : c["log.retention.hours"] * 3_600_000;
}

export function rollMs(c: BrokerConfig): number {
  return c["log.roll.ms"] ?? c["log.roll.hours"] * 3_600_000;
}
