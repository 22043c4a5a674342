// What the fault suite asks the cluster: a topic's leaders and ISR as a given node sees them
// (Metadata over a short-lived connection, bounded, so a paused or cut-off node is skipped rather
// than waited for), and every record of a topic read from the start by a fresh consumer.
import { Admin, Connection, Consumer } from "@gregor/client";
import type { MetadataResponse } from "@gregor/protocol";
import type { LocalCluster, LocalClusterNode } from "../../src/index.js";
import type { ReadRecord } from "./checker.js";

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

/** `topic`'s partitions as `node` describes them, by index; null when it does not answer in time or lacks the topic. */
export async function partitionsSeenBy(
  node: LocalClusterNode,
  topic: string,
  timeoutMs = 1000,
): Promise<PartitionView[] | null> {
  let c: Connection | undefined;
  try {
    c = await Connection.connect({
      host: node.host,
      port: node.port,
      clientId: "fault-suite-view",
      connectTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
    });
    const res = await c.request<MetadataResponse>(3, { topics: [{ name: topic }] });
    const t = res.topics.find((x) => x.name === topic);
    if (t === undefined || t.errorCode !== 0) return null;
    return t.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch ?? -1,
        replicas: [...p.replicaNodes],
        isr: [...p.isrNodes],
      }))
      .sort((a, b) => a.partition - b.partition);
  } catch {
    return null;
  } finally {
    c?.close();
  }
}

/** The view of the first node in `nodes` that answers (null: none did). */
export async function firstView(
  nodes: readonly LocalClusterNode[],
  topic: string,
  timeoutMs = 1000,
): Promise<PartitionView[] | null> {
  for (const node of nodes) {
    if (!node.running) continue;
    const view = await partitionsSeenBy(node, topic, timeoutMs);
    if (view !== null) return view;
  }
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `nodes` until `ok(view)` holds; the last view (or null) when `timeoutMs` passes first. */
export async function waitForView(
  nodes: readonly LocalClusterNode[],
  topic: string,
  ok: (view: PartitionView[]) => boolean,
  timeoutMs: number,
): Promise<{ view: PartitionView[] | null; met: boolean }> {
  const deadline = performance.now() + timeoutMs;
  let view: PartitionView[] | null = null;
  for (;;) {
    view = await firstView(nodes, topic);
    if (view !== null && ok(view)) return { view, met: true };
    if (performance.now() > deadline) return { view, met: false };
    await sleep(50);
  }
}

/** Every partition led and its ISR equal to its replicas. */
export function isrFull(view: readonly PartitionView[]): boolean {
  return view.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length);
}

export async function createTopic(
  cluster: LocalCluster,
  topic: string,
  partitions: number,
  replicationFactor: number,
  configs: Readonly<Record<string, string>>,
): Promise<void> {
  const admin = new Admin({ bootstrapBrokers: cluster.bootstrap.split(","), clientId: "fault-suite-admin" });
  try {
    await admin.createTopics([{ topic, numPartitions: partitions, replicationFactor, configs }]);
  } catch (e) {
    // A retried CreateTopics whose first try was committed: the topic is ours (names are per seed).
    if ((e as { type?: string }).type !== "TOPIC_ALREADY_EXISTS") throw e;
  } finally {
    await admin.close();
  }
}

/**
 * Reads every partition of `topic` from offset 0 up to its end offset (ListOffsets latest, asked
 * once at the start) with a fresh consumer (no group); throws, naming the partitions short of
 * their end, if that takes longer than `timeoutMs`.
 */
export async function readAll(
  bootstrap: string,
  topic: string,
  partitions: number,
  timeoutMs: number,
): Promise<ReadRecord[]> {
  const brokers = bootstrap.split(",");
  const admin = new Admin({ bootstrapBrokers: brokers, clientId: "fault-suite-reader" });
  let ends: bigint[] = [];
  try {
    // A broker healed a moment ago may not know the topic yet (UNKNOWN_TOPIC_OR_PARTITION, retriable
    // in Kafka; the CI cut failed on it once): ask again until the deadline.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const answers = await admin.listOffsets(
          Array.from({ length: partitions }, (_, partition) => ({ topic, partition, timestamp: -1n })),
        );
        ends = answers.sort((a, b) => a.partition - b.partition).map((a) => a.offset);
        break;
      } catch (e) {
        if (Date.now() >= deadline) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.close();
  }
  // earliest: were a partition's log start above 0, reading from it still shows what is missing.
  const consumer = new Consumer({
    bootstrapBrokers: brokers,
    clientId: "fault-suite-reader",
    maxWaitMs: 100,
    autoOffsetReset: "earliest",
  });
  const records: ReadRecord[] = [];
  try {
    consumer.assign(ends.map((_, partition) => ({ topic, partition, offset: 0n })));
    const next = ends.map(() => 0n);
    const deadline = performance.now() + timeoutMs;
    while (next.some((n, p) => n < ends[p]!)) {
      if (performance.now() > deadline) {
        const short = next.map((n, p) => `${p}: ${n}/${ends[p]}`).join(", ");
        throw new Error(`could not read ${topic} to its end offsets within ${timeoutMs} ms (${short})`);
      }
      const batch = await consumer.nextBatch({ timeoutMs: 500 });
      if (batch === null) continue;
      for (const m of batch.messages) {
        if (m.offset >= ends[batch.partition]!) continue;
        records.push({ value: m.value?.toString("utf8") ?? "", partition: batch.partition, offset: m.offsetNumber });
      }
      next[batch.partition] = batch.nextOffset;
    }
  } finally {
    await consumer.close();
  }
  return records;
}
