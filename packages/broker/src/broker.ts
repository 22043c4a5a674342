// startBroker: the combined single-node broker (broker + controller roles), in-process.
import { resolve as resolvePath } from "node:path";
import { pino, type Logger } from "pino";
import { buildBrokerConfig, type BrokerConfig, type ConfigOverrides, parseListeners } from "./config/broker-config.js";
import { configWarnings } from "./config/kraft.js";
import { HANDLERS } from "./handlers/index.js";
import type { Handler } from "./handlers/types.js";
import { memoryLogFactory } from "./log/memory-log.js";
import type { LogFactory } from "./log/partition-log.js";
import { openStorageLogFactory } from "./log/storage-log.js";
import { checkStorage, newClusterId } from "./metadata/meta-properties.js";
import { TopicManager } from "./metadata/topic-manager.js";
import { MODULES } from "./modules.js";
import { BrokerServer } from "./server/server.js";
import { type BrokerModule, BrokerServices } from "./services.js";

/** Data dir value that keeps every log in memory (nothing written to disk). */
export const IN_MEMORY = ":memory:";

export interface StartBrokerOptions {
  /** Data directory (Kafka's `log.dirs`); `":memory:"` keeps logs in memory. Default: config's log.dirs. */
  dataDir?: string;
  /** Listener port; 0 picks a free one. Setting it (or host) binds PLAINTEXT://host:port. */
  port?: number;
  /** Listener host when `port` is given; default 127.0.0.1. */
  host?: string;
  /** Kafka property overrides, e.g. { "auto.create.topics.enable": false, "num.partitions": 3 }. */
  config?: ConfigOverrides;
  /** A ready config (the app's file + env + flags); `config` overrides still apply on top. */
  brokerConfig?: BrokerConfig;
  logger?: Logger;
  /** Level of the default logger (JSON to stderr); default "warn". */
  logLevel?: string;
  clusterId?: string;
  /** Extra modules started after the built-in ones (tests). */
  modules?: readonly BrokerModule[];
  /** Replaces the handler table (tests). */
  handlers?: readonly Handler[];
}

export interface Broker {
  /** "host:port" clients connect to. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly services: BrokerServices;
  /** Milliseconds from startBroker() until the listener accepted connections. */
  readonly startupMs: number;
  /** Stop accepting, finish in-flight requests, flush and close every log. Idempotent. */
  close(): Promise<void>;
}

function resolveConfig(options: StartBrokerOptions): BrokerConfig {
  const layers: ConfigOverrides[] = [];
  if (options.brokerConfig !== undefined) {
    const { unknown, ...known } = options.brokerConfig;
    layers.push({ ...unknown, ...(known as ConfigOverrides) });
  }
  if (options.config !== undefined) layers.push(options.config);
  const top: ConfigOverrides = {};
  if (options.dataDir !== undefined) top["log.dirs"] = options.dataDir;
  if (options.port !== undefined || options.host !== undefined) {
    top.listeners = `PLAINTEXT://${options.host ?? "127.0.0.1"}:${options.port ?? 0}`;
    // An embedded broker on a chosen port (tests, apps) also takes a free admin port unless told.
    if (options.config?.["gregor.admin.port"] === undefined) top["gregor.admin.port"] = 0;
  }
  layers.push(top);
  return buildBrokerConfig(...layers);
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<Broker> {
  const t0 = performance.now();
  const config = resolveConfig(options);
  const logger = options.logger ?? pino({ level: options.logLevel ?? "warn" }, pino.destination(2));
  const dataDirSetting = config["log.dirs"].split(",")[0]!.trim();
  const inMemory = dataDirSetting === IN_MEMORY;
  const dataDir = inMemory ? null : resolvePath(dataDirSetting);
  const clusterId =
    dataDir === null
      ? (options.clusterId ?? newClusterId())
      : (await checkStorage(config, options.clusterId === undefined ? {} : { clusterId: options.clusterId })).clusterId;
  const logFactory: LogFactory = dataDir === null ? memoryLogFactory : await openStorageLogFactory(dataDir, logger);
  const topics = new TopicManager(config, logFactory, dataDir);
  await topics.load();
  const services = new BrokerServices(config, clusterId, topics, logger);
  const handlers = options.handlers ?? HANDLERS;
  services.handlers = handlers;
  for (const warning of configWarnings(config)) logger.warn({ key: warning.key }, warning.message);

  const started: { module: BrokerModule; instance: unknown }[] = [];
  for (const module of [...MODULES, ...(options.modules ?? [])]) {
    const instance = await module.start(services);
    services.setModule(module.name, instance);
    started.push({ module, instance });
  }

  const listener =
    parseListeners(config.listeners)!.find((l) => l.name !== config["controller.listener.names"]) ??
    parseListeners(config.listeners)![0]!;
  const server = new BrokerServer(services, handlers);
  const port = await server.listen(listener.host, listener.port);
  const advertised =
    config["advertised.listeners"] === "" ? null : (parseListeners(config["advertised.listeners"])?.[0] ?? null);
  const boundHost =
    listener.host === "" || listener.host === "0.0.0.0" || listener.host === "::" ? "localhost" : listener.host;
  const host = advertised !== null && advertised.host !== "" ? advertised.host : boundHost;
  const advertisedPort = advertised !== null && advertised.port !== 0 ? advertised.port : port;
  services.endpoint = { nodeId: config["node.id"], host, port: advertisedPort, rack: config["broker.rack"] };
  const startupMs = performance.now() - t0;

  logger.info(
    {
      nodeId: config["node.id"],
      clusterId,
      listener: `${listener.host}:${port}`,
      advertised: `${host}:${advertisedPort}`,
      dataDir: dataDir ?? IN_MEMORY,
      topics: topics.size,
      startupMs: Math.round(startupMs * 10) / 10,
    },
    `broker started in ${startupMs.toFixed(1)} ms`,
  );

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      services.closing = true;
      services.appendWaiters.completeAll();
      await server.close();
      for (const { module, instance } of started.reverse()) {
        try {
          await module.close?.(instance);
        } catch (err) {
          logger.error({ err, module: module.name }, "module close failed");
        }
      }
      await topics.close();
      await logFactory.close();
      logger.info({}, "broker stopped");
    })();
    return closing;
  };
  return {
    bootstrap: `${host === "localhost" ? "127.0.0.1" : host}:${advertisedPort}`,
    host,
    port: advertisedPort,
    clusterId,
    nodeId: config["node.id"],
    config,
    services,
    startupMs,
    close,
  };
}
