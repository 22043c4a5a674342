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
import type { ConfigValue } from "../config/broker-config.js";
import { formatStorage, randomUuid, readMetaProperties } from "../metadata/meta-properties.js";
import { type ClusterFaultApi, ClusterFaults, perNodeLoopback } from "./faults.js";
import { InProcessNode, type LocalClusterNode, type NodeSpec, ProcessNode, type RunnableNode } from "./local-node.js";
import { activeControllerId, firstExit, waitForBrokers, waitForNode } from "./start-cluster-probes.js";

export { type ClusterFaultApi, NetworkFaultError, perNodeLoopback } from "./faults.js";
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
  /** The address node N binds and advertises (default 127.0.0.1 for every node; see `network`). */
  host?: string | ((id: number) => string);
  /**
   * "per-node": node N binds, advertises and connects out from its own loopback address
   * 127.A.B.(10+N) (A.B random per cluster), which isolate()/partition() need; overrides `host`.
   * "shared" (default): every node on `host`.
   */
  network?: "shared" | "per-node";
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

/** A running local cluster; the fault methods (ClusterFaultApi) act on its nodes by id. */
export interface LocalCluster extends ClusterFaultApi {
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
  /** heal(), stops every node (SIGTERM, bounded) and removes the data dir when startCluster made it. */
  close(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 20_000;

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
  const perNode = options.network === "per-node" ? perNodeLoopback() : null;
  const hostOf = (id: number): string =>
    perNode !== null
      ? perNode(id)
      : typeof options.host === "function"
        ? options.host(id)
        : (options.host ?? "127.0.0.1");
  const base = options.basePort;
  const ports =
    base !== undefined
      ? ids.flatMap((_, i) => [base + 2 * i, base + 2 * i + 1])
      : (await Promise.all(ids.map((id) => freePorts(2, hostOf(id))))).flat();
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
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const faults = new ClusterFaults({
    nodes,
    perNodeAddresses: options.network === "per-node",
    waitForNode: (node, peers) => waitForNode(node, peers, timeoutMs),
    tag: clusterId,
  });
  const stopAll = (how: "stop" | "kill") => Promise.all(nodes.map((n) => n[how]())).then(() => undefined);
  try {
    await Promise.race([
      Promise.all(nodes.map((n) => n.start())).then(() => waitForBrokers(nodes, timeoutMs)),
      firstExit(nodes),
    ]);
  } catch (e) {
    await stopAll("kill");
    await faults.close();
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
    waitForBrokers: (waitMs = timeoutMs) => waitForBrokers(nodes, waitMs),
    kill: (id) => faults.kill(id),
    restart: (id) => faults.restart(id),
    pause: (id) => faults.pause(id),
    resume: (id) => faults.resume(id),
    isolate: (id, isolateOptions) => faults.isolate(id, isolateOptions),
    partition: (side, other) => faults.partition(side, other),
    heal: () => faults.heal(),
    faults: () => faults.faults(),
    async close() {
      await faults.close();
      await stopAll("stop");
      releaseGuard();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
