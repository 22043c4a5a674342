// Fuzz: >= 50,000 random, truncated and mutated frames from many connections at a live broker.
// The broker must stay up, keep serving an unrelated connection, and keep its memory bounded.
// Seeded PRNG: a failure prints the seed to replay.
import { connect } from "node:net";
import { encodeRecordBatch, encodeRequestFrame } from "@gregor/protocol";
import { Prng } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";

const batch = encodeRecordBatch({
  records: [
    { key: Buffer.from("k"), value: Buffer.from("value"), timestamp: 1 },
    { key: null, value: Buffer.from("v2"), timestamp: 2 },
  ],
});
const fetchBody = (topic: string) => ({
  replicaId: -1,
  maxWaitMs: 10,
  minBytes: 1,
  maxBytes: 65536,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic,
      partitions: [
        { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 65536 },
      ],
    },
  ],
  forgottenTopicsData: [],
  rackId: "",
});

/** Valid frames (size prefix included) the mutator starts from. */
function seedFrames(): Buffer[] {
  const f = (k: number, v: number, body: unknown) => Buffer.concat(encodeRequestFrame(k, v, 1, "fuzz", body));
  return [
    f(18, 0, {}),
    f(18, 3, { clientSoftwareName: "fuzz", clientSoftwareVersion: "1" }),
    f(3, 0, { topics: [{ name: "fz" }] }),
    f(3, 4, { topics: [{ name: "fz" }], allowAutoTopicCreation: false }),
    f(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
    f(0, 3, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: "fz", partitionData: [{ index: 0, records: batch }] }],
    }),
    f(0, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: "fz", partitionData: [{ index: 0, records: batch }] }],
    }),
    f(0, 9, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: "fz", partitionData: [{ index: 0, records: batch }] }],
    }),
    f(1, 4, fetchBody("fz")),
    f(1, 11, fetchBody("fz")),
    f(1, 12, fetchBody("fz")),
    f(2, 1, { replicaId: -1, topics: [{ name: "fz", partitions: [{ partitionIndex: 0, timestamp: -2n }] }] }),
    f(2, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: "fz", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3n }] }],
    }),
    f(32, 4, {
      resources: [{ resourceType: 2, resourceName: "fz", configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    }),
    f(60, 0, { includeClusterAuthorizedOperations: false }),
    f(23, 4, {
      replicaId: -1,
      topics: [{ topic: "fz", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    }),
    f(22, 4, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 }),
  ];
}

function mutate(rnd: () => number, seeds: Buffer[]): Buffer {
  const base = seeds[Math.floor(rnd() * seeds.length)]!;
  const kind = Math.floor(rnd() * 5);
  if (kind === 0) {
    // Truncated: a consistent size prefix over a cut body.
    const cut = 4 + Math.floor(rnd() * (base.length - 4));
    const out = Buffer.from(base.subarray(0, cut));
    out.writeInt32BE(cut - 4, 0);
    return out;
  }
  if (kind === 1) {
    // Random bytes after a plausible header (random api key/version).
    const len = 8 + Math.floor(rnd() * 200);
    const out = Buffer.alloc(4 + len);
    out.writeInt32BE(len, 0);
    for (let i = 4; i < out.length; i++) out[i] = Math.floor(rnd() * 256);
    if (rnd() < 0.7) out.writeInt16BE(Math.floor(rnd() * 70), 4);
    if (rnd() < 0.7) out.writeInt16BE(Math.floor(rnd() * 14), 6);
    return out;
  }
  const out = Buffer.from(base);
  const flips = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < flips; i++) {
    const at = 4 + Math.floor(rnd() * (out.length - 4));
    out[at] = kind === 2 ? out[at]! ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
  }
  if (kind === 4 && rnd() < 0.3) out.writeInt32BE(Math.floor(rnd() * 2_000_000) - 1000, 0); // lying size prefix
  return out;
}

function blast(port: number, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    let idle: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(idle);
      s.destroy();
      resolve();
    };
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(done, 150);
    };
    s.on("connect", () => {
      s.write(Buffer.concat(frames));
      arm();
    });
    s.on("data", arm);
    s.on("error", done);
    s.on("close", done);
  });
}

describe("fuzz", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({
      dataDir: ":memory:",
      port: 0,
      config: { "socket.request.max.bytes": 1_000_000, "auto.create.topics.enable": false },
    });
    const c = await RawClient.connect(broker.port);
    await c.send(19, 4, {
      topics: [
        {
          name: "fz",
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: "retention.bytes", value: "1000000" }],
        },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    c.close();
  });
  afterAll(async () => {
    await broker.close();
  });

  it("survives 50,000 bad frames over many connections", async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261125);
    const rnd = new Prng(seed, "mulberry32").random;
    const seeds = seedFrames();
    const control = await RawClient.connect(broker.port);
    const heapBefore = process.memoryUsage().heapUsed;
    const TOTAL = 50_000;
    const PER_CONNECTION = 25;
    const CONCURRENCY = 40;
    const openedBefore = broker.services.metrics.connectionsOpened;
    let sent = 0;
    let connections = 0;
    const worker = async (): Promise<void> => {
      while (sent < TOTAL) {
        const frames: Buffer[] = [];
        for (let i = 0; i < PER_CONNECTION; i++)
          frames.push(rnd() < 0.15 ? seeds[Math.floor(rnd() * seeds.length)]! : mutate(rnd, seeds));
        sent += frames.length;
        connections++;
        await blast(broker.port, frames);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // The frames reached the broker: it accepted every connection they were sent on.
    expect(broker.services.metrics.connectionsOpened - openedBefore, `seed ${seed}`).toBe(connections);

    // The unrelated connection still works, and new ones do too.
    const v = await control.send(18, 3, { clientSoftwareName: "c", clientSoftwareVersion: "1" });
    expect(v.errorCode, `seed ${seed}`).toBe(0);
    const md = await control.send(3, 1, { topics: [{ name: "fz" }] });
    expect(md.topics[0].errorCode).toBe(0);
    const fresh = await RawClient.connect(broker.port);
    const pr = await fresh.send(0, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        {
          name: "fz",
          partitionData: [
            { index: 0, records: encodeRecordBatch({ records: [{ value: Buffer.from("after"), timestamp: 5 }] }) },
          ],
        },
      ],
    });
    expect(pr.responses[0].partitionResponses[0].errorCode).toBe(0);
    fresh.close();
    control.close();

    // Memory stays bounded: no per-connection state survives its connection.
    await new Promise((r) => setTimeout(r, 200));
    expect(broker.services.metrics.activeConnections).toBe(0);
    expect(broker.services.appendWaiters.size).toBe(0);
    expect(process.memoryUsage().heapUsed - heapBefore, `seed ${seed}`).toBeLessThan(300 * 1024 * 1024);
  }, 120_000);
});
