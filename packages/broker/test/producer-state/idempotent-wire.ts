// Hand-built idempotent Produce requests over @gregor/client's Connection: the batch a client
// would retry, with the producer id, epoch and sequences the test chooses.
import { Connection } from "@gregor/client";
import type { InitProducerIdResponse, ListOffsetsResponse, ProduceResponse } from "@gregor/protocol";
import { encodeRecordBatch } from "@gregor/protocol";
import { until } from "@gregor/testkit";

export interface Endpoint {
  host: string;
  port: number;
}

export function connect(node: Endpoint): Promise<Connection> {
  return Connection.connect({
    host: node.host,
    port: node.port,
    clientId: "producer-state-test",
    connectTimeoutMs: 2000,
    requestTimeoutMs: 10_000,
  });
}

export async function initProducerId(c: Connection): Promise<{ producerId: bigint; producerEpoch: number }> {
  const r = await c.request<InitProducerIdResponse>(22, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  if (r.errorCode !== 0) throw new Error(`InitProducerId failed with error ${r.errorCode}`);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

export interface Batch {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  count: number;
}

/** The batch's records are "<producerId>:<sequence>", so a reader can tell a duplicate. */
export function encodeBatch(b: Batch): Buffer {
  return encodeRecordBatch({
    producerId: b.producerId,
    producerEpoch: b.epoch,
    baseSequence: b.baseSequence,
    records: Array.from({ length: b.count }, (_, i) => ({
      timestamp: 1_700_000_000_000 + b.baseSequence + i,
      value: Buffer.from(`${b.producerId}:${b.baseSequence + i}`),
    })),
  });
}

export async function produce(
  c: Connection,
  topic: string,
  partition: number,
  b: Batch,
): Promise<{ errorCode: number; baseOffset: number }> {
  const r = await c.request<ProduceResponse>(0, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeBatch(b) }] }],
  });
  const p = r.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

export async function logEndOffset(c: Connection, topic: string, partition: number): Promise<number> {
  const r = await c.request<ListOffsetsResponse>(2, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  const p = r.topics[0]!.partitions[0]!;
  if (p.errorCode !== 0) throw new Error(`ListOffsets failed with error ${p.errorCode}`);
  return Number(p.offset);
}

/**
 * Connects to `node` once it leads `topic`-`partition` again (after a restart or a failover):
 * probes with a ListOffsets until it answers without error.
 */
export async function connectToLeader(node: Endpoint, topic: string, partition: number, timeoutMs = 30_000) {
  return until(
    async () => {
      let c: Connection | undefined;
      try {
        c = await connect(node);
        await logEndOffset(c, topic, partition);
        return c;
      } catch {
        c?.close();
        return undefined;
      }
    },
    { what: `${node.host}:${node.port} leading ${topic}-${partition}`, timeoutMs, intervalMs: 200 },
  );
}
