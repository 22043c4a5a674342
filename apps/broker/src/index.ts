// The broker binary's logic: argument parsing (Kafka's `server.properties [--override k=v]...`),
// config loading (file, GREGOR_* env, flags), signals and clean shutdown.
import { resolve as resolvePath } from "node:path";
import {
  type Broker,
  ConfigError,
  createBrokerLogger,
  loadBrokerConfig,
  StorageError,
  startBroker,
} from "@gregor/broker";

export interface CliArgs {
  configFile?: string;
  overrides: string[];
}

export const USAGE = "usage: gregor-broker [server.properties] [--override key=value]...";

/** Parses `[file] [--override k=v | --override=k=v]...`. Throws with a usage message on bad input. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { overrides: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--override") {
      const v = argv[++i];
      if (v === undefined) throw new Error(`--override needs key=value\n${USAGE}`);
      out.overrides.push(v);
    } else if (a.startsWith("--override=")) {
      out.overrides.push(a.slice("--override=".length));
    } else if (a === "-h" || a === "--help") {
      throw new Error(USAGE);
    } else if (!a.startsWith("-") && out.configFile === undefined) {
      out.configFile = a;
    } else {
      throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  }
  return out;
}

export interface RunOptions {
  argv: readonly string[];
  env: Record<string, string | undefined>;
}

/** Starts the broker and installs SIGTERM/SIGINT handlers. Resolves with the running broker. */
export async function run(options: RunOptions): Promise<Broker> {
  const t0 = performance.now();
  const args = parseArgs(options.argv);
  const config = loadBrokerConfig({
    ...(args.configFile === undefined ? {} : { file: args.configFile }),
    env: options.env,
    overrides: args.overrides,
  });
  const logger = createBrokerLogger({ level: options.env.GREGOR_LOG_LEVEL ?? "info" });
  const broker = await startBroker({ brokerConfig: config, logger });
  const startupMs = Math.round((performance.now() - t0) * 10) / 10;
  const listener = broker.config.listeners.replace(/\/\/:/, "//0.0.0.0:");
  const dataDir =
    broker.config["log.dirs"] === ":memory:"
      ? ":memory:"
      : resolvePath(broker.config["log.dirs"].split(",")[0]!.trim());
  logger.info(
    {
      listeners: listener,
      bootstrap: `${broker.host}:${broker.port}`,
      dataDir,
      startupMs,
      sinceProcessStartMs: Math.round(performance.now()),
    },
    `Gregor broker listening on ${listener} (clients: ${broker.host}:${broker.port}), data in ${dataDir}, started in ${startupMs} ms`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    broker.close().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return broker;
}

/** Entry point: exits 1 with a one-line message on a bad config or argument. */
export async function main(): Promise<void> {
  try {
    await run({ argv: process.argv.slice(2), env: process.env });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StorageError || (e instanceof Error && e.message.includes(USAGE))) {
      process.stderr.write(`gregor-broker: ${e.message}\n`);
    } else {
      process.stderr.write(
        `gregor-broker: start-up failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
    }
    process.exit(1);
  }
}
