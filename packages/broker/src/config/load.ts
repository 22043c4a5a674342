// Loads the broker config the way kafka-server-start does: a properties file, then GREGOR_* env
// variables, then `--override key=value` flags.
import { readFileSync } from "node:fs";
import {
  buildBrokerConfig,
  type BrokerConfig,
  ConfigError,
  configFromEnv,
  type ConfigOverrides,
} from "./broker-config.js";
import { parseProperties } from "./properties.js";

export interface LoadConfigOptions {
  /** Path of a server.properties file (optional). */
  file?: string;
  env?: Record<string, string | undefined>;
  /** `key=value` strings from --override flags. */
  overrides?: readonly string[];
  /** Code-level overrides applied last. */
  config?: ConfigOverrides;
}

export function loadBrokerConfig(options: LoadConfigOptions = {}): BrokerConfig {
  const fileLayer =
    options.file === undefined ? new Map<string, string>() : parseProperties(readFileSync(options.file, "utf8"));
  const flagLayer = new Map<string, string>();
  for (const o of options.overrides ?? []) {
    const eq = o.indexOf("=");
    if (eq <= 0) throw new ConfigError(o, o, "an override must look like key=value");
    flagLayer.set(o.slice(0, eq).trim(), o.slice(eq + 1));
  }
  return buildBrokerConfig(fileLayer, configFromEnv(options.env ?? {}), flagLayer, options.config ?? {});
}
