// What the real-process cluster tests share: the cluster as startCluster({ mode: "process" }) starts
// it (bin/kafka-server-start.sh per node), the bin/ tools as child processes, and raw requests to
// one node's client listener (Metadata, CreateTopics) to see what that node says.
import { join, resolve } from "node:path";
import { Connection } from "@gregor/client";
import type { CreateTopicsResponse, MetadataResponse, MetadataResponseMetadataResponseTopic } from "@gregor/protocol";
import { afterAll, beforeAll } from "vitest";
import { type LocalCluster, type LocalClusterNode, startCluster, type StartClusterOptions } from "../../src/index.js";
import { TEST_TIMEOUTS } from "../cluster/harness.js";
import { type RunResult, run } from "../helpers/run.js";

export const REPO = resolve(import.meta.dirname, "../../../..");

/**
 * One process-mode cluster for the file: started before its tests, closed after. Small timeouts
 * (session, election, request) through --override; the bench runs Kafka's defaults.
 */
export function suiteCluster(
  options: StartClusterOptions = {},
  started: (cluster: LocalCluster) => void = () => undefined,
): () => LocalCluster {
  let cluster: LocalCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      mode: "process",
      ...options,
      config: { ...TEST_TIMEOUTS, ...options.config },
    });
    started(cluster);
  });
  afterAll(async () => {
    await cluster?.close();
  });
  return () => {
    if (cluster === undefined) throw new Error("the cluster did not start");
    return cluster;
  };
}

/** Runs `bin/<tool>` (kafka-topics.sh, ...) like a user would; bounded. */
export function bin(tool: string, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return run(join(REPO, "bin", tool), args, { timeoutMs });
}

export function addressOf(node: LocalClusterNode): string {
  return `${node.host}:${node.port}`;
}

async function request<T>(
  node: LocalClusterNode,
  apiKey: number,
  body: unknown,
  requestTimeoutMs = 10_000,
): Promise<T> {
  const c = await Connection.connect({
    host: node.host,
    port: node.port,
    clientId: "cluster-process-test",
    connectTimeoutMs: 1000,
    requestTimeoutMs,
  });
  try {
    return await c.request<T>(apiKey, body);
  } finally {
    c.close();
  }
}

/** What `node` answers to Metadata for `topics` (null: every topic). */
export function metadataOf(node: LocalClusterNode, topics: readonly string[] | null): Promise<MetadataResponse> {
  return request<MetadataResponse>(node, 3, { topics: topics === null ? null : topics.map((name) => ({ name })) });
}

/** `topic` as `node` describes it, partitions by index. */
export async function topicOn(node: LocalClusterNode, topic: string): Promise<MetadataResponseMetadataResponseTopic> {
  const res = await metadataOf(node, [topic]);
  const t = res.topics.find((x) => x.name === topic);
  if (t === undefined || t.errorCode !== 0) throw new Error(`node ${node.id} does not know ${topic} (${t?.errorCode})`);
  t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
  return t;
}

/** CreateTopics sent to `node`'s client listener (forwarded to the active controller): the topic's error code. */
export async function createTopicOn(
  node: LocalClusterNode,
  name: string,
  numPartitions: number,
  replicationFactor: number,
  requestTimeoutMs = 10_000,
): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await request<CreateTopicsResponse>(
    node,
    19,
    {
      topics: [{ name, numPartitions, replicationFactor, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    },
    requestTimeoutMs,
  );
  const t = res.topics[0]!;
  return { errorCode: t.errorCode, errorMessage: t.errorMessage ?? null };
}
