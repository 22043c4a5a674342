// Idempotent Produce over one raw connection with several requests of one producer in flight (the
// Java client's default is 5): batches are checked in arrival order, and a resent batch is answered
// with its original offset without being appended again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin } from "@gregor/client";
import { decodeResponseFrame, encodeRecordBatch, encodeRequestFrame, type ProduceResponse } from "@gregor/protocol";
import { type Broker, startBroker } from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";

const PRODUCE = 0;
const LIST_OFFSETS = 2;
const INIT_PRODUCER_ID = 22;

let broker: Broker;
let raw: RawClient;
let producerId: bigint;

beforeAll(async () => {
  broker = await startBroker({ port: 0, dataDir: ":memory:", config: { "auto.create.topics.enable": false } });
  const admin = new Admin({ bootstrapBrokers: [broker.bootstrap] });
  try {
    await admin.createTopics([
      { topic: "pipelined", numPartitions: 1, replicationFactor: 1 },
      { topic: "mixed", numPartitions: 2, replicationFactor: 1 },
    ]);
  } finally {
    await admin.close();
  }
  raw = await RawClient.connect(broker.port);
  const init = await raw.send(INIT_PRODUCER_ID, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
  expect(init.errorCode).toBe(0);
  producerId = init.producerId;
}, 30_000);
afterAll(async () => {
  raw?.close();
  await broker?.close();
});

/** One batch of `count` records with the given base sequence. */
function batch(baseSequence: number, count = 10): Buffer {
  return encodeRecordBatch({
    producerId,
    producerEpoch: 0,
    baseSequence,
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: 1_700_000_000_000,
      value: Buffer.from(`${baseSequence + i}`),
    })),
  });
}

type PartitionData = { topic: string; index: number; records: Buffer };

function produceBody(partitions: PartitionData[]): unknown {
  const byTopic = new Map<string, { index: number; records: Buffer }[]>();
  for (const p of partitions)
    byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { index: p.index, records: p.records }]);
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
  };
}

function produce(partitions: PartitionData[]): Promise<ProduceResponse> {
  return raw.send<ProduceResponse>(PRODUCE, 8, produceBody(partitions));
}

let nextCorrelationId = 1_000_000;

/** Sends the requests in one write (so the broker reads them in one chunk); answers by request. */
async function produceTogether(requests: PartitionData[][]): Promise<ProduceResponse[]> {
  const correlationIds = requests.map(() => nextCorrelationId++);
  raw.writeRaw(
    Buffer.concat(
      requests.flatMap((r, i) => encodeRequestFrame(PRODUCE, 8, correlationIds[i]!, "raw-test", produceBody(r))),
    ),
  );
  const deadline = Date.now() + 5000;
  while (correlationIds.some((id) => !raw.frames.some((f) => f.readInt32BE(0) === id))) {
    if (Date.now() > deadline) throw new Error("no answer to the pipelined requests");
    await new Promise((r) => setTimeout(r, 5));
  }
  return correlationIds.map(
    (id) => decodeResponseFrame<ProduceResponse>(raw.frames.find((f) => f.readInt32BE(0) === id)!, PRODUCE, 8).body,
  );
}

const answer = (res: ProduceResponse, topic: string, index: number): { errorCode: number; baseOffset: bigint } => {
  const r = res.responses.find((t) => t.name === topic)!.partitionResponses.find((p) => p.index === index)!;
  return { errorCode: r.errorCode, baseOffset: r.baseOffset };
};

async function logEndOffset(topic: string, partition: number): Promise<bigint> {
  const res = await raw.send(LIST_OFFSETS, 1, {
    replicaId: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1n }] }],
  });
  return res.topics[0].partitions[0].offset as bigint;
}

describe("idempotent Produce, 5 requests of one producer in flight", () => {
  it("accepts them in arrival order with increasing offsets; the last one resent is a duplicate", async () => {
    const sent = await produceTogether(
      [0, 10, 20, 30, 40].map((seq) => [{ topic: "pipelined", index: 0, records: batch(seq) }]),
    );
    expect(sent.map((r) => answer(r, "pipelined", 0))).toEqual(
      [0n, 10n, 20n, 30n, 40n].map((baseOffset) => ({ errorCode: 0, baseOffset })),
    );
    expect(answer(await produce([{ topic: "pipelined", index: 0, records: batch(40) }]), "pipelined", 0)).toEqual({
      errorCode: 0,
      baseOffset: 40n,
    });
    expect(await logEndOffset("pipelined", 0)).toBe(50n);
  });

  // Kafka keeps a producer's last 5 batches per partition and answers a resend of any of them with
  // its original offset (errorCode 0).
  it("answers a resend of the third of 5 with its original offset, without appending", async () => {
    expect(answer(await produce([{ topic: "pipelined", index: 0, records: batch(20) }]), "pipelined", 0)).toEqual({
      errorCode: 0,
      baseOffset: 20n,
    });
    expect(await logEndOffset("pipelined", 0)).toBe(50n);
  });

  // Regression: a Produce of several partitions used to await the topic lookup before its sequence
  // check while a one-partition Produce checked at once, so request 2 (sequence 10) was checked first
  // and request 1's batch (sequence 0) was answered DUPLICATE_SEQUENCE_NUMBER without being written.
  it("keeps arrival order across requests of different shapes (several partitions, then one)", async () => {
    const [a, b] = await produceTogether([
      [
        { topic: "mixed", index: 0, records: batch(0) },
        { topic: "mixed", index: 1, records: batch(0) },
      ],
      [{ topic: "mixed", index: 0, records: batch(10) }],
    ]);
    expect([answer(a!, "mixed", 0), answer(a!, "mixed", 1), answer(b!, "mixed", 0)]).toEqual([
      { errorCode: 0, baseOffset: 0n },
      { errorCode: 0, baseOffset: 0n },
      { errorCode: 0, baseOffset: 10n },
    ]);
    expect(await logEndOffset("mixed", 0)).toBe(20n);
  });
});
