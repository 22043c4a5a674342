// Broker configuration with Kafka's property names and defaults, validated with zod. Sources, lowest
// precedence first: defaults, a server.properties file, GREGOR_* environment variables, overrides
// (`--override key=value` or startBroker({ config })). A bad value throws a ConfigError naming the
// key, the value and what is allowed.
import { type BrokerConfig, type BrokerKey, BROKER_KEYS } from "./broker-keys.js";
import { validateKRaftConfig } from "./kraft.js";
import { ConfigError, type KeyDef } from "./schema.js";

export { BROKER_KEYS, type BrokerConfig, type BrokerKey } from "./broker-keys.js";
export { ConfigError } from "./schema.js";
export { type Listener, parseListeners, type QuorumVoter } from "./parsers.js";

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
  validateKRaftConfig(config);
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
