// How the broker answers bad or unusual input, byte for byte through a raw socket: the errors Kafka
// gives, connections closed where Kafka closes them, pipelined responses in request order.
import { encodeRecordBatch } from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, ErrorCode, startBroker } from "../src/index.js";
import { RawClient, rawFrame } from "./helpers/raw-client.js";
import { tempDir, until } from "@gregor/testkit";

const batch = (n = 1, valueBytes = 10) =>
  encodeRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.alloc(valueBytes, 97),
      timestamp: 1_700_000_000_000 + i,
    })),
  });
const produce = (topic: string, records: Buffer, acks = -1, partition = 0) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
});

describe("broker error handling", () => {
  let broker: Broker;
  let noAuto: Broker;
  const dir = tempDir();
  beforeAll(async () => {
    broker = await startBroker({
      dataDir: `${dir}/a`,
      port: 0,
      config: { "socket.request.max.bytes": 1_000_000, "message.max.bytes": 100_000 },
    });
    noAuto = await startBroker({ dataDir: ":memory:", port: 0, config: { "auto.create.topics.enable": false } });
  });
  afterAll(async () => {
    await broker.close();
    await noAuto.close();
  });

  it("answers a too-new ApiVersions with UNSUPPORTED_VERSION in a v0 body listing the api keys", async () => {
    const c = await RawClient.connect(broker.port);
    c.writeRaw(rawFrame(18, 99, 7));
    const body = await until(() => c.frames[0], {
      what: "the answer to ApiVersions v99",
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    expect(body.readInt32BE(0)).toBe(7); // correlation id, response header v0
    expect(body.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const count = body.readInt32BE(6);
    const keys = Array.from({ length: count }, (_, i) => body.readInt16BE(10 + i * 6));
    expect(keys).toContain(18);
    expect(keys).toContain(0);
    expect(body.length).toBe(10 + count * 6); // v0 body: no throttle time, no tagged fields
    // The connection stays usable: the client retries with a version we support.
    const v3 = await c.send(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    expect(v3.errorCode).toBe(0);
    const produceEntry = v3.apiKeys.find((k: { apiKey: number }) => k.apiKey === 0);
    expect(produceEntry).toMatchObject({ minVersion: 0, maxVersion: 11 });
    expect(v3.apiKeys.find((k: { apiKey: number }) => k.apiKey === 1)).toMatchObject({ minVersion: 4, maxVersion: 12 });
    c.close();
  });

  it("closes the connection on an unknown api key or an unsupported version of another api", async () => {
    const c1 = await RawClient.connect(broker.port);
    c1.writeRaw(rawFrame(999, 0, 1));
    await c1.waitClosed();
    const c2 = await RawClient.connect(broker.port);
    c2.writeRaw(rawFrame(3, 99, 1));
    await c2.waitClosed();
    const c3 = await RawClient.connect(broker.port);
    c3.writeRaw(rawFrame(0, 2, 1)); // Produce v2 (message format v1) is advertised but not served
    await c3.waitClosed();
  });

  it("closes the connection on a frame over socket.request.max.bytes", async () => {
    const c = await RawClient.connect(broker.port);
    const size = Buffer.alloc(4);
    size.writeInt32BE(1_000_001);
    c.writeRaw(size);
    await c.waitClosed();
    // Other connections are unaffected.
    const ok = await RawClient.connect(broker.port);
    expect((await ok.send(18, 0, {})).errorCode).toBe(0);
    ok.close();
  });

  it("answers CORRUPT_MESSAGE for a bad CRC and MESSAGE_TOO_LARGE for an oversize batch", async () => {
    const c = await RawClient.connect(broker.port);
    const bad = batch(3);
    bad[bad.length - 1]! ^= 0xff;
    const r1 = await c.send(0, 7, produce("crc-topic", bad));
    expect(r1.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const r2 = await c.send(0, 7, produce("crc-topic", batch(1, 200_000)));
    expect(r2.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const r3 = await c.send(0, 7, produce("crc-topic", batch(2)));
    expect(r3.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    c.close();
  });

  it("answers UNKNOWN_TOPIC_OR_PARTITION for an unknown topic when auto-create is off", async () => {
    const c = await RawClient.connect(noAuto.port);
    const md = await c.send(3, 4, { topics: [{ name: "nope" }], allowAutoTopicCreation: true });
    expect(md.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const pr = await c.send(0, 7, produce("nope", batch()));
    expect(pr.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    c.close();
  });

  it("answers INVALID_TOPIC_EXCEPTION for invalid topic names", async () => {
    const c = await RawClient.connect(broker.port);
    const md = await c.send(3, 4, {
      topics: [{ name: "bad name!" }, { name: "x".repeat(250) }],
      allowAutoTopicCreation: true,
    });
    expect(md.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    ]);
    const ct = await c.send(19, 4, {
      topics: [{ name: "..", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(ct.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    c.close();
  });

  it("refuses replication factor 2 on one node with Kafka's message", async () => {
    const c = await RawClient.connect(broker.port);
    const ct = await c.send(19, 4, {
      topics: [{ name: "rf2", numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(ct.topics[0].errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(ct.topics[0].errorMessage).toBe(
      "Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.",
    );
    c.close();
  });

  it("validateOnly creates nothing; bad topic configs get INVALID_CONFIG", async () => {
    const c = await RawClient.connect(broker.port);
    const v = await c.send(19, 7, {
      topics: [{ name: "vo", numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: true,
    });
    expect(v.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 3 });
    expect(broker.services.topics.get("vo")).toBeUndefined();
    const bad = await c.send(19, 7, {
      topics: [
        {
          name: "vo",
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: "retention.ms", value: "soon" }],
        },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(bad.topics[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    c.close();
  });

  it("keeps pipelined responses in request order and sends nothing for acks=0", async () => {
    const c = await RawClient.connect(broker.port);
    await c.send(19, 4, {
      topics: [{ name: "pipe", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    // A long-polling Fetch first, then a Metadata that is ready at once: Metadata must wait.
    const order: string[] = [];
    const fetch = c
      .send(1, 11, {
        replicaId: -1,
        maxWaitMs: 300,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: "pipe",
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0n,
                logStartOffset: -1n,
                partitionMaxBytes: 1 << 20,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      })
      .then((r) => {
        order.push("fetch");
        return r;
      });
    const md = c.send(3, 1, { topics: null }).then(() => order.push("metadata"));
    c.sendNoResponse(0, 7, produce("pipe", batch(2), 0));
    const after = c.send(18, 2, {}).then(() => order.push("apiversions"));
    const [f] = await Promise.all([fetch, md, after]);
    expect(order).toEqual(["fetch", "metadata", "apiversions"]);
    expect(c.frames).toHaveLength(0); // no stray response for the acks=0 produce
    expect(f.responses[0].partitions[0].errorCode).toBe(0);
    c.close();
  });

  it("completes a waiting Fetch when an append arrives (long poll served by appends)", async () => {
    const c = await RawClient.connect(broker.port);
    const p = await RawClient.connect(broker.port);
    await c.send(19, 4, {
      topics: [{ name: "lp", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    const fetch = c.send(1, 11, {
      replicaId: -1,
      maxWaitMs: 30_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: "lp",
          partitions: [
            { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: "",
    });
    await new Promise((r) => setTimeout(r, 50));
    await p.send(0, 7, produce("lp", batch(5)));
    const r = await fetch; // would take 30 s (test timeout) if only the timer completed it
    const part = r.responses[0].partitions[0];
    expect(part.highWatermark).toBe(5n);
    expect(Buffer.concat([].concat(part.records)).length).toBeGreaterThan(61);
    c.close();
    p.close();
  });
});
