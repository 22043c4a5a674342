// startCluster(): a local KRaft cluster of combined (broker,controller) nodes in one call — the
// same cluster `pnpm start:cluster` runs (issue #14, item 7). Each node is started the way a Kafka
// user starts one: `kafka-storage.sh format` when its directory is new, then
// `kafka-server-start.sh config/server.properties --override ...` (see local-node.ts).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Connection } from "@gregor/client";
import { ApiKey, type DescribeQuorumResponse, type MetadataResponse } from "@gregor/protocol";
import type { ConfigValue } from "../config/broker-config.js";
import { formatStorage, randomUuid, readMetaProperties } from "../metadata/meta-properties.js";
import {
  InProcessNode,
  type LocalClusterNode,
  logTail,
  type NodeExit,
  type NodeSpec,
  ProcessNode,
  type RunnableNode,
} from "./local-node.js";

export type { LocalClusterNode, NodeExit } from "./local-node.js";

export interface StartClusterOptions {
  /** Number of combined nodes, ids 1..nodes (default 3). */
  nodes?: number;
  /** OS processes via bin/kafka-server-start.sh (default), or startBroker() in this process. */
  mode?: "process" | "in-process";
  /** Node N keeps its data in `<dataDir>/node-N` (default: a new temp dir, removed by close()). */
  dataDir?: string;
  /** Node N listens on basePort + 2(N-1) (PLAINTEXT) and the next port (CONTROLLER); default: free ports. */
  basePort?: number;
  /** The address node N binds and advertises (default 127.0.0.1 for every node). */
  host?: string | ((id: number) => string);
  /** Config for every node, given as `--override key=value` after the node's own keys. */
  config?: Readonly<Record<string, ConfigValue>>;
  /** Config for node `id` alone, applied after `config` (e.g. `broker.rack`). */
  nodeConfig?: (id: number) => Readonly<Record<string, ConfigValue>>;
  /** Cluster id for new dirs (default: the one already formatted in a node's dir, else a random one). */
  clusterId?: string;
  /** The repository holding bin/ and config/ (default: found above this module). */
  home?: string;
  /** The properties file every node starts from (default `<home>/config/server.properties`). */
  configFile?: string;
  /** How long to wait for every broker in every node's Metadata (default 60 s, issue #14). */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 20 s; nodes stop within 15 s). */
  stopTimeoutMs?: number;
}

export interface LocalCluster {
  readonly clusterId: string;
  readonly mode: "process" | "in-process";
  /** "host:port,host:port,..." of every node's PLAINTEXT listener. */
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly nodes: readonly LocalClusterNode[];
  node(id: number): LocalClusterNode;
  /** The raft leader of the metadata quorum by DescribeQuorum (-1 when no running node knows one). */
  activeControllerId(): Promise<number>;
  /** Waits until every running node's Metadata lists every running node's broker (or throws, naming who is missing). */
  waitForBrokers(timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGTERM, bounded) and removes the data dir when startCluster made it. */
  close(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

/** The repository root above `from`: the first directory holding bin/kafka-server-start.sh. */
function findHome(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "bin/kafka-server-start.sh"))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`no bin/kafka-server-start.sh above ${from}: pass startCluster({ home })`);
  }
}

/** Ports the OS says are free right now (bound and released). */
async function freePorts(n: number, host: string): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((done, fail) => {
          const s = createServer();
          s.once("error", fail);
          s.listen(0, host, () => done(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** What node `id` is started with, after the properties file (Kafka's names; issue #14's command). */
function nodeOverrides(
  id: number,
  host: string,
  port: number,
  controllerPort: number,
  voters: string,
  dataDir: string,
  config: Readonly<Record<string, ConfigValue>>,
): string[] {
  const own: Record<string, ConfigValue> = {
    "process.roles": "broker,controller",
    "node.id": id,
    "controller.quorum.voters": voters,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${host}:${port}`,
    "controller.listener.names": "CONTROLLER",
    "log.dirs": dataDir,
    // Each node's admin (metrics) endpoint on its own free port: they share one machine.
    "gregor.admin.port": 0,
  };
  return Object.entries({ ...own, ...config }).map(([k, v]) => `${k}=${String(v)}`);
}

async function nodeSpecs(options: StartClusterOptions, home: string, dataDir: string): Promise<NodeSpec[]> {
  const count = options.nodes ?? 3;
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`nodes must be an integer >= 1, got ${count}`);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const hostOf = (id: number): string =>
    typeof options.host === "function" ? options.host(id) : (options.host ?? "127.0.0.1");
  const base = options.basePort;
  const ports =
    base === undefined
      ? await freePorts(2 * count, hostOf(1))
      : ids.flatMap((_, i) => [base + 2 * i, base + 2 * i + 1]);
  const voters = ids.map((id, i) => `${id}@${hostOf(id)}:${ports[2 * i + 1]}`).join(",");
  return ids.map((id, i) => {
    const dir = join(dataDir, `node-${id}`);
    const [port, controllerPort] = [ports[2 * i]!, ports[2 * i + 1]!];
    return {
      id,
      host: hostOf(id),
      port,
      controllerPort,
      dataDir: dir,
      logFile: join(dataDir, `node-${id}.log`),
      overrides: nodeOverrides(id, hostOf(id), port, controllerPort, voters, dir, {
        ...options.config,
        ...options.nodeConfig?.(id),
      }),
      configFile: options.configFile ?? join(home, "config/server.properties"),
      home,
      stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    };
  });
}

/** Runs a command to its end; rejects with its output when it exits non-zero. */
function runToEnd(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    child.once("error", fail);
    child.once("exit", (code) =>
      code === 0 ? done(output) : fail(new Error(`${command} ${args.join(" ")} exited ${code}: ${output.trim()}`)),
    );
  });
}

/** The apps the scripts run, built once here rather than by three scripts at the same time. */
async function ensureBuilt(home: string): Promise<void> {
  if (existsSync(join(home, "apps/broker/dist/main.js")) && existsSync(join(home, "apps/cli/dist/main.js"))) return;
  await runToEnd(
    "pnpm",
    [
      "exec",
      "turbo",
      "run",
      "build",
      "--filter=gregor-broker...",
      "--filter=gregor-cli...",
      "--output-logs=errors-only",
    ],
    home,
  );
}

/** The cluster id of a dir formatted already, else null. */
async function formattedClusterId(specs: readonly NodeSpec[]): Promise<string | null> {
  for (const s of specs) {
    const meta = await readMetaProperties(s.dataDir);
    if (meta !== null) return meta.clusterId;
  }
  return null;
}

/** `kafka-storage.sh format` for each node whose dir is new (process mode runs the script itself). */
async function formatNewDirs(specs: readonly NodeSpec[], clusterId: string, mode: string): Promise<void> {
  const fresh: NodeSpec[] = [];
  for (const s of specs) if ((await readMetaProperties(s.dataDir)) === null) fresh.push(s);
  await Promise.all(
    fresh.map((s) =>
      mode === "process"
        ? runToEnd(
            "bash",
            [
              join(s.home, "bin/kafka-storage.sh"),
              "format",
              "-t",
              clusterId,
              "-c",
              s.configFile,
              ...s.overrides.flatMap((o) => ["--override", o]),
            ],
            s.home,
          )
        : formatStorage({ dirs: [s.dataDir], clusterId, nodeId: s.id }),
    ),
  );
}

async function request<T>(node: LocalClusterNode, apiKey: number, body: unknown): Promise<T> {
  const c = await Connection.connect({
    host: node.host,
    port: node.port,
    clientId: "gregor-start-cluster",
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
  });
  try {
    return await c.request<T>(apiKey, body);
  } finally {
    c.close();
  }
}

/** The broker ids `node` lists in Metadata, or why it could not say. */
async function brokersSeenBy(node: LocalClusterNode): Promise<number[] | string> {
  try {
    const res = await request<MetadataResponse>(node, ApiKey.Metadata, { topics: [] });
    return res.brokers.map((b) => b.nodeId);
  } catch (e) {
    return (e as Error).message;
  }
}

/** Polls until every running node lists every running broker; names what is missing on timeout. */
async function waitForBrokers(nodes: readonly RunnableNode[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = nodes.filter((n) => n.running);
    const ids = live.map((n) => n.id);
    const missing: string[] = [];
    for (const node of live) {
      const seen = await brokersSeenBy(node);
      if (typeof seen === "string")
        missing.push(`node ${node.id} (${node.host}:${node.port}) does not answer: ${seen}`);
      else {
        const absent = ids.filter((id) => !seen.includes(id));
        if (absent.length > 0)
          missing.push(`node ${node.id} (${node.host}:${node.port}) does not list broker(s) ${absent.join(",")}`);
      }
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`the cluster did not form within ${timeoutMs} ms: ${missing.join("; ")}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Rejects as soon as a node's process ends (a node that refused to start), quoting its log. */
function firstExit(nodes: readonly RunnableNode[]): Promise<never> {
  return Promise.race(
    nodes.map((n) =>
      n.exited.then((exit: NodeExit) => {
        const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        throw new Error(
          `node ${n.id} ${how} before the cluster formed; its log (${n.logFile}) ends:\n${logTail(n.logFile)}`,
        );
      }),
    ),
  );
}

async function activeControllerId(nodes: readonly RunnableNode[]): Promise<number> {
  for (const node of nodes.filter((n) => n.running)) {
    try {
      const res = await request<DescribeQuorumResponse>(node, ApiKey.DescribeQuorum, {
        topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }],
      });
      const p = res.topics[0]?.partitions[0];
      if (res.errorCode === 0 && p !== undefined && p.errorCode === 0 && p.leaderId >= 0) return p.leaderId;
    } catch {
      // the next node may know
    }
  }
  return -1;
}

/** Kills (SIGKILL) every process node still running when this process exits without close(). */
function exitGuard(nodes: readonly RunnableNode[]): () => void {
  const onExit = (): void => {
    for (const n of nodes) if (n.pid !== null) n.signal("SIGKILL");
  };
  process.on("exit", onExit);
  return () => process.off("exit", onExit);
}

/**
 * Starts `nodes` combined-mode nodes and resolves when every node's Metadata lists every broker.
 * A node that exits during start-up (a bad config, a dir of another cluster) fails the call with
 * its log's last lines; the other nodes are killed and the data dir (with the logs) is kept.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<LocalCluster> {
  const mode = options.mode ?? "process";
  const home = options.home ?? findHome();
  const ownDir = options.dataDir === undefined;
  const dataDir = resolve(options.dataDir ?? (await mkdtemp(join(tmpdir(), "gregor-cluster-"))));
  const specs = await nodeSpecs(options, home, dataDir);
  const clusterId = options.clusterId ?? (await formattedClusterId(specs)) ?? randomUuid();
  if (mode === "process") await ensureBuilt(home);
  await formatNewDirs(specs, clusterId, mode);
  const nodes: RunnableNode[] = specs.map((s) => (mode === "process" ? new ProcessNode(s) : new InProcessNode(s)));
  const releaseGuard = exitGuard(nodes);
  const stopAll = (how: "stop" | "kill") => Promise.all(nodes.map((n) => n[how]())).then(() => undefined);
  try {
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    await Promise.race([
      Promise.all(nodes.map((n) => n.start())).then(() => waitForBrokers(nodes, timeoutMs)),
      firstExit(nodes),
    ]);
  } catch (e) {
    await stopAll("kill");
    releaseGuard();
    throw e;
  }
  return {
    clusterId,
    mode,
    bootstrap: nodes.map((n) => `${n.host}:${n.port}`).join(","),
    dataDir,
    nodes,
    node(id) {
      const n = nodes.find((x) => x.id === id);
      if (n === undefined) throw new Error(`no node ${id}: the nodes are ${nodes.map((x) => x.id).join(",")}`);
      return n;
    },
    activeControllerId: () => activeControllerId(nodes),
    waitForBrokers: (timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS) =>
      waitForBrokers(nodes, timeoutMs),
    async close() {
      await stopAll("stop");
      releaseGuard();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
