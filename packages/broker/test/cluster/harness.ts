// A 3-controller cluster in one process for the cluster tests: combined nodes on 127.0.0.1 free
// ports, real sockets, real data dirs in a temp dir, formatted with one cluster id.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBrokerConfig, type BrokerConfig } from "../../src/config/broker-config.js";
import type { CreateTopicsResponse } from "@gregor/protocol";
import { type ClusterNode, startClusterNode } from "../../src/cluster/cluster-node.js";
import { formatStorage, newClusterId } from "../../src/metadata/meta-properties.js";

/** Ports the OS says are free right now (bound and released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Polls `check` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface TestCluster {
  root: string;
  clusterId: string;
  ids: number[];
  configs: Map<number, BrokerConfig>;
  nodes: Map<number, ClusterNode>;
  start(id: number): Promise<ClusterNode>;
  stop(id: number): Promise<void>;
  /** The node every live node agrees is the active controller. */
  activeController(): Promise<ClusterNode>;
  /** Waits until every live node's broker is registered and unfenced in every live node's image. */
  allUnfenced(): Promise<void>;
  close(): Promise<void>;
}

/** Small timeouts so fencing and elections happen within a test's patience. */
export const TEST_TIMEOUTS = {
  "broker.session.timeout.ms": 1500,
  "broker.heartbeat.interval.ms": 100,
  "controller.quorum.election.timeout.ms": 300,
  "controller.quorum.fetch.timeout.ms": 600,
  "controller.quorum.request.timeout.ms": 1500,
} as const;

/**
 * Configs for `ids` combined (broker,controller) nodes, or with `brokerOnly` some of them
 * broker-only (not voters) and the others controller-only.
 */
export async function nodeConfigs(
  root: string,
  ids: number[],
  overrides: Record<string, string | number> = {},
  brokerOnly: readonly number[] = [],
  hostOf: (id: number) => string = () => "127.0.0.1",
): Promise<Map<number, BrokerConfig>> {
  const ports = await freePorts(ids.length * 2);
  const split = brokerOnly.length > 0;
  const voterIds = ids.filter((id) => !brokerOnly.includes(id));
  const voters = voterIds.map((id) => `${id}@${hostOf(id)}:${ports[2 * ids.indexOf(id) + 1]}`).join(",");
  const configs = new Map<number, BrokerConfig>();
  ids.forEach((id, i) => {
    const broker = `PLAINTEXT://${hostOf(id)}:${ports[2 * i]}`;
    const controller = `CONTROLLER://${hostOf(id)}:${ports[2 * i + 1]}`;
    const isBrokerOnly = brokerOnly.includes(id);
    configs.set(
      id,
      buildBrokerConfig({
        "node.id": id,
        "process.roles": !split ? "broker,controller" : isBrokerOnly ? "broker" : "controller",
        "controller.quorum.voters": voters,
        "controller.listener.names": "CONTROLLER",
        listeners: !split ? `${broker},${controller}` : isBrokerOnly ? broker : controller,
        "log.dirs": join(root, `node-${id}`),
        ...TEST_TIMEOUTS,
        ...overrides,
      }),
    );
  });
  return configs;
}

export async function startTestCluster(
  ids = [1, 2, 3],
  overrides: Record<string, string | number> = {},
  brokerOnly: readonly number[] = [],
  hostOf?: (id: number) => string,
): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), "gregor-cluster-"));
  const clusterId = newClusterId();
  const configs = await nodeConfigs(root, ids, overrides, brokerOnly, hostOf);
  for (const id of ids) await formatStorage({ dirs: [join(root, `node-${id}`)], clusterId, nodeId: id });
  const nodes = new Map<number, ClusterNode>();
  const cluster: TestCluster = {
    root,
    clusterId,
    ids,
    configs,
    nodes,
    async start(id) {
      const node = await startClusterNode(configs.get(id)!, { clusterId });
      nodes.set(id, node);
      return node;
    },
    async stop(id) {
      const node = nodes.get(id);
      nodes.delete(id);
      await node?.close();
    },
    activeController() {
      return until("an active controller", () => {
        const live = [...nodes.values()];
        const leader = live.find((n) => n.isActiveController());
        if (leader === undefined) return undefined;
        return live.every((n) => n.activeControllerId() === leader.nodeId) ? leader : undefined;
      });
    },
    async allUnfenced() {
      const live = [...nodes.values()];
      const brokers = live.filter((n) => n.settings.isBroker);
      for (const node of live) {
        await until(`node ${node.nodeId} sees every live broker unfenced`, () =>
          brokers.every((b) => node.image().brokers.get(b.nodeId)?.fenced === false),
        );
      }
    },
    async close() {
      await Promise.all([...nodes.keys()].map((id) => cluster.stop(id)));
      await rm(root, { recursive: true, force: true });
    },
  };
  await Promise.all(ids.map((id) => cluster.start(id)));
  return cluster;
}

export const CREATE_TOPICS = 19;
export const NOT_CONTROLLER = 41;

export function createTopicsRequest(name: string, numPartitions = 3, replicationFactor = 2) {
  return {
    topics: [{ name, numPartitions, replicationFactor, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  };
}

export const topicsNotController = (res: CreateTopicsResponse): boolean =>
  res.topics.every((t) => t.errorCode === NOT_CONTROLLER);
