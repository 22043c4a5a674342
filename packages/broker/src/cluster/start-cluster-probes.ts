// What startCluster asks the nodes it runs: Metadata (which brokers each node lists) and
// DescribeQuorum (the active controller), each over a short-lived connection to the node's client
// listener, bounded, so a node that does not answer is named rather than waited for.
import { Connection } from "@gregor/client";
import { ApiKey, type DescribeQuorumResponse, type MetadataResponse } from "@gregor/protocol";
import { type LocalClusterNode, logTail, type NodeExit, type RunnableNode } from "./local-node.js";

const POLL_MS = 100;

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
export async function waitForBrokers(nodes: readonly RunnableNode[], timeoutMs: number): Promise<void> {
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
export function firstExit(nodes: readonly RunnableNode[]): Promise<never> {
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

export async function activeControllerId(nodes: readonly RunnableNode[]): Promise<number> {
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

/** Polls until `node` and each of `peers` answer Metadata listing `node` (a restarted node has registered). */
export async function waitForNode(
  node: LocalClusterNode,
  peers: readonly LocalClusterNode[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing: string[] = [];
    for (const asked of [node, ...peers]) {
      const seen = await brokersSeenBy(asked);
      if (typeof seen === "string") missing.push(`node ${asked.id} does not answer: ${seen}`);
      else if (!seen.includes(node.id)) missing.push(`node ${asked.id} lists broker(s) ${seen.join(",")} only`);
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`node ${node.id} did not come back within ${timeoutMs} ms: ${missing.join("; ")}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
