// startBroker: a broker that is a member of the KRaft metadata quorum (KIP-500/KIP-631). It runs
// its cluster node (startClusterNode: controller role and/or broker lifecycle), and its topic
// table, leaders and admin writes come from the MetadataImage. With no controller.quorum.voters
// it is Kafka 4's combined mode with a one-voter quorum of itself (`pnpm start`, tests), so one
// node and a cluster take the same code path.
import { resolve as resolvePath } from "node:path";
import { pino, type Logger } from "pino";
import { type ClusterNode, startClusterNode } from "./cluster/cluster-node.js";
import { buildBrokerConfig, type BrokerConfig, type ConfigOverrides, type Listener } from "./config/broker-config.js";
import { brokerListener, configWarnings, effectiveAdvertisedListeners, isSingleNodeQuorum } from "./config/kraft.js";
import { HANDLERS } from "./handlers/index.js";
import type { Handler } from "./handlers/types.js";
import { memoryLogFactory } from "./log/memory-log.js";
import type { LogFactory } from "./log/partition-log.js";
import { openStorageLogFactory } from "./log/storage-log.js";
import { nodeConfig } from "./metadata/node-config.js";
import { ProducerIdBlocks } from "./metadata/producer-id-blocks.js";
import { TopicAdmin } from "./metadata/topic-admin.js";
import { TopicManager } from "./metadata/topic-manager.js";
import { importTopicsJson } from "./metadata/topics-json-import.js";
import { MODULES } from "./modules.js";
import { ReplicaFetcherManager } from "./replication/fetcher-manager.js";
import { type DataDirLocks, lockDataDirs } from "./server/data-dir-locks.js";
import { LOG_DIRS_MODULE, LogDirs } from "./server/log-dirs.js";
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
  /**
   * How long start-up waits for the controller to unfence this broker (its image caught up);
   * after that it serves anyway and logs a warning (a quorum without majority yet). Default 60 s.
   */
  readyTimeoutMs?: number;
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
  /** This broker's node of the metadata quorum. */
  readonly cluster: ClusterNode;
  /** Milliseconds from startBroker() until the broker was registered, unfenced and serving. */
  readonly startupMs: number;
  /**
   * Controlled shutdown (leaderships move away first), then stop accepting, finish in-flight
   * requests, stop the modules, the quorum node, and flush and close every log. Idempotent.
   */
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
  // Before anything reads or formats the dirs: a second broker on them fails here (issue 13).
  const inMemoryDirs = config["log.dirs"].split(",")[0]!.trim() === IN_MEMORY;
  const dirLocks = inMemoryDirs ? null : await lockDataDirs(config);
  try {
    return await runBroker(options, config, dirLocks, t0);
  } catch (err) {
    await dirLocks?.release();
    throw err;
  }
}

async function runBroker(
  options: StartBrokerOptions,
  config: BrokerConfig,
  dirLocks: DataDirLocks | null,
  t0: number,
): Promise<Broker> {
  const logger = options.logger ?? pino({ level: options.logLevel ?? "warn" }, pino.destination(2));
  for (const warning of configWarnings(config)) logger.warn({ key: warning.key }, warning.message);
  const dataDirSetting = config["log.dirs"].split(",")[0]!.trim();
  const inMemory = dataDirSetting === IN_MEMORY;
  const dataDir = inMemory ? null : resolvePath(dataDirSetting);
  const listener = brokerListener(config);
  if (listener === null) throw new Error(`no broker listener in listeners=${config.listeners}`);

  const storage =
    dataDir === null
      ? null
      : await openStorageLogFactory(dataDir, logger, undefined, config["gregor.storage.min.free.bytes"]);
  const logFactory: LogFactory = storage ?? memoryLogFactory;
  const topics = new TopicManager(config, logFactory, config["node.id"], (err) =>
    logger.error({ err }, "applying a metadata image failed"),
  );
  // Subscribed before the leader side (in BrokerServices): a partition stops fetching before it leads.
  const fetchers = new ReplicaFetcherManager(config, topics, logger);
  const services = new BrokerServices(config, "", topics, logger);
  const handlers = options.handlers ?? HANDLERS;
  services.handlers = handlers;
  if (storage !== null) services.setModule(LOG_DIRS_MODULE, new LogDirs([storage.manager]));
  services.listenerName = listener.name;
  const server = new BrokerServer(services, handlers);
  // Bound before the node starts: the node registers the port clients reach (port 0 = picked now).
  const port = await server.listen(listener.host, listener.port);
  const node = await startNode(config, options, listener, port, inMemory, logger, server, logFactory);
  services.cluster = node.cluster;
  services.clusterId = node.cluster.clusterId;
  services.admin = new TopicAdmin(node.cluster, topics, logger, config["controller.quorum.request.timeout.ms"]);
  services.producerIds = new ProducerIdBlocks(node.cluster, config["node.id"]);
  const running: Running = { config, logger, services, server, node, topics, logFactory, dirLocks, started: [] };
  running.fetchers = fetchers;
  try {
    node.cluster.publisher.subscribe((image) => void topics.update(image));
    await topics.update(node.cluster.image());
    await becomeReady(config, options, node.cluster, topics, dataDir, logger);
    for (const module of [...MODULES, ...(options.modules ?? [])]) {
      const instance = await module.start(services);
      services.setModule(module.name, instance);
      running.started.push({ module, instance });
    }
  } catch (err) {
    await shutdown(running);
    throw err;
  }
  const { host, port: advertisedPort } = advertisedAddress(node.config, listener, port);
  services.endpoint = { nodeId: config["node.id"], host, port: advertisedPort, rack: config["broker.rack"] };
  const startupMs = performance.now() - t0;
  logger.info(
    {
      nodeId: config["node.id"],
      clusterId: node.cluster.clusterId,
      listener: `${listener.host}:${port}`,
      advertised: `${host}:${advertisedPort}`,
      controllerPort: node.cluster.controllerPort,
      dataDir: dataDir ?? IN_MEMORY,
      topics: topics.size,
      startupMs: Math.round(startupMs * 10) / 10,
    },
    `broker started in ${startupMs.toFixed(1)} ms`,
  );
  let closing: Promise<void> | null = null;
  return {
    bootstrap: `${host === "localhost" ? "127.0.0.1" : host}:${advertisedPort}`,
    host,
    port: advertisedPort,
    clusterId: node.cluster.clusterId,
    nodeId: config["node.id"],
    config,
    services,
    cluster: node.cluster,
    startupMs,
    close: () => {
      closing ??= shutdown(running);
      return closing;
    },
  };
}

/** Where clients reach this broker: its advertised listener of the same name, else the bound one. */
function advertisedAddress(config: BrokerConfig, listener: Listener, port: number): { host: string; port: number } {
  const advertised = effectiveAdvertisedListeners(config).find((l) => l.name === listener.name);
  const boundHost =
    listener.host === "" || listener.host === "0.0.0.0" || listener.host === "::" ? "localhost" : listener.host;
  return {
    host: advertised !== undefined && advertised.host !== "" ? advertised.host : boundHost,
    port: advertised !== undefined && advertised.port !== 0 ? advertised.port : port,
  };
}

interface Running {
  config: BrokerConfig;
  logger: Logger;
  services: BrokerServices;
  server: BrokerServer;
  node: StartedNode;
  topics: TopicManager;
  logFactory: LogFactory;
  dirLocks: DataDirLocks | null;
  started: { module: BrokerModule; instance: unknown }[];
  fetchers?: ReplicaFetcherManager;
}

/** Kafka's order: hand leaderships over while still serving, then stop listener, modules, node, logs. */
async function shutdown(r: Running): Promise<void> {
  const ok = await r.node.cluster.lifecycle?.controlledShutdown(
    Math.min(CONTROLLED_SHUTDOWN_MAX_MS, r.config["broker.session.timeout.ms"]),
  );
  if (ok === false) r.logger.warn("controlled shutdown not confirmed by the controller in time; stopping anyway");
  r.services.closing = true;
  r.services.appendWaiters.completeAll();
  r.services.replicas.close();
  await r.server.close();
  await r.fetchers?.close();
  for (const { module, instance } of r.started.reverse()) {
    try {
      await module.close?.(instance);
    } catch (err) {
      r.logger.error({ err, module: module.name }, "module close failed");
    }
  }
  // Each step runs even if one before failed (a full disk fails the quorum's last flush): the
  // logs still close and the locks go. Failures are logged and swallowed, as Kafka's shutdown
  // does (CoreUtils.swallow), so SIGTERM on a full disk still stops the process (issue 13).
  const failures: unknown[] = [];
  const step = async (what: string, fn: () => Promise<void> | undefined): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
      r.logger.error({ err }, `shutdown: ${what} failed`);
    }
  };
  await step("closing the quorum node", () => r.node.cluster.close());
  await step("closing the topics", () => r.topics.close());
  await step("closing the logs", () => r.logFactory.close());
  await step("cleaning up", () => r.node.cleanup());
  await step("releasing the data dir locks", () => r.dirLocks?.release());
  r.logger.info({ failures: failures.length }, "broker stopped");
}

interface StartedNode {
  cluster: ClusterNode;
  /** The config the node runs with (bound ports, embedded quorum). */
  config: BrokerConfig;
  cleanup: () => Promise<void>;
}

/** Bounded like the cluster node's own controlled shutdown, well inside a SIGTERM's 15 s. */
const CONTROLLED_SHUTDOWN_MAX_MS = 8000;
const DEFAULT_READY_TIMEOUT_MS = 60_000;

async function startNode(
  config: BrokerConfig,
  options: StartBrokerOptions,
  listener: { name: string; host: string; port: number },
  port: number,
  inMemory: boolean,
  logger: Logger,
  server: BrokerServer,
  logFactory: LogFactory,
): Promise<StartedNode> {
  const node = await nodeConfig(config, listener, port, inMemory);
  try {
    const clusterId = options.clusterId;
    const cluster = await startClusterNode(node.config, { logger, ...(clusterId !== undefined ? { clusterId } : {}) });
    return { cluster, config: node.config, cleanup: node.cleanup };
  } catch (err) {
    await server.close();
    await logFactory.close();
    await node.cleanup();
    throw err;
  }
}

/**
 * Start-up barrier: the single node imports an old topics.json once; then the broker waits
 * (bounded) until the controller has unfenced it — it has replayed the log up to its
 * registration — and its topic table reflects the image.
 */
async function becomeReady(
  config: BrokerConfig,
  options: StartBrokerOptions,
  cluster: ClusterNode,
  topics: TopicManager,
  dataDir: string | null,
  logger: Logger,
): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  if (dataDir !== null && isSingleNodeQuorum(config)) {
    while (!cluster.isActiveController() && performance.now() < deadline) await sleep(5);
    const imported = await importTopicsJson(dataDir, cluster.image(), config["node.id"], (records) =>
      cluster.appendRecords(records),
    );
    if (imported > 0) logger.info({ topics: imported }, "imported topics.json into the metadata log");
  }
  const unfenced = (await cluster.lifecycle?.waitUnfenced(Math.max(0, deadline - performance.now()))) ?? true;
  if (!unfenced) logger.warn({ timeoutMs }, "broker not unfenced by the controller yet; serving anyway");
  await topics.update(cluster.image());
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
