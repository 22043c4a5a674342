// The leader side on real broker processes (bin/kafka-server-start.sh via startCluster): kcat
// produces with acks=all to RF=3 topics while a consumer polls the leader and never gets a batch
// at or past the high watermark the same response names; a follower killed with SIGKILL leaves the
// ISR, so a topic with min.insync.replicas=3 refuses acks=all before appending (NOT_ENOUGH_REPLICAS)
// while one with 2 goes on; restarted, the follower catches up, rejoins, and nothing acked is lost.
// (Killing both followers of a 3-node cluster also stops its controller quorum, which then cannot
// shrink any ISR: min.insync.replicas=3 with one follower down is the same rule, observable.)
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  encodeRecordBatch,
  type FetchResponse,
  LAST_OFFSET_DELTA_OFFSET,
  type MetadataResponse,
  type ProduceResponse,
} from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, type LocalCluster, startCluster } from "../../src/index.js";
import { createTopicsRequest, TEST_TIMEOUTS, until } from "../cluster/harness.js";
import { RawClient } from "../helpers/raw-client.js";

const run = promisify(execFile);
const TWO = "min-isr-two";
const THREE = "min-isr-three";

let cluster: LocalCluster;

beforeAll(async () => {
  // bin/kafka-server-start.sh runs apps/broker/dist; its @gregor/* imports resolve to the sources.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --conditions=source --import tsx`.trim();
  cluster = await startCluster({
    nodes: 3,
    mode: "process",
    config: { ...TEST_TIMEOUTS, "replica.lag.time.max.ms": 3000, "replica.fetch.wait.max.ms": 200 },
  });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
});

async function connect(id: number): Promise<RawClient> {
  const n = cluster.node(id);
  return RawClient.connect(n.port, n.host);
}

async function partitionInfo(topic: string): Promise<{ leader: number; isr: number[] }> {
  const c = await connect(cluster.nodes.find((n) => n.running)!.id);
  try {
    const md = await c.send<MetadataResponse>(3, 12, {
      topics: [{ name: topic }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    const p = md.topics[0]?.partitions[0];
    return { leader: p?.leaderId ?? -1, isr: [...(p?.isrNodes ?? [])].sort() };
  } finally {
    c.close();
  }
}

async function produce(client: RawClient, topic: string, values: string[]): Promise<number> {
  const records = encodeRecordBatch({
    records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })),
  });
  const res = await client.send<ProduceResponse>(0, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

/** A consumer's fetch: every batch returned must end below the response's high watermark. */
async function consumerFetch(
  client: RawClient,
  topic: string,
  offset: bigint,
): Promise<{ next: bigint; past: number }> {
  const res = await client.send<FetchResponse>(1, 12, {
    replicaId: -1,
    maxWaitMs: 100,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  });
  const p = res.responses[0]!.partitions[0]!;
  const records = (p.records as Buffer | null) ?? Buffer.alloc(0);
  let next = offset;
  let past = 0;
  for (let pos = 0; pos + 61 <= records.length; pos += 12 + records.readInt32BE(pos + 8)) {
    const last = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET));
    if (last >= p.highWatermark) past++;
    next = last + 1n;
  }
  return { next, past };
}

describe("acks=all and the high watermark on 3 broker processes", () => {
  it("keeps consumers below the HW, refuses acks=all under min.insync.replicas, loses nothing", async () => {
    const setup = await connect(1);
    for (const [topic, minIsr] of [
      [TWO, "2"],
      [THREE, "3"],
    ] as const) {
      const req = createTopicsRequest(topic, 1, 3);
      req.topics[0]!.configs = [{ name: "min.insync.replicas", value: minIsr }] as never[];
      const res = await setup.send(19, 5, req);
      expect(res.topics[0].errorCode).toBe(0);
    }
    setup.close();
    const [leader, leaderThree] = await until("leaders with full ISRs", async () => {
      const two = await partitionInfo(TWO);
      const three = await partitionInfo(THREE);
      return two.isr.length === 3 && three.isr.length === 3 ? [two.leader, three.leader] : undefined;
    });

    // kcat writes 2000 records with acks=all while a consumer polls the leader.
    const lines = Array.from({ length: 2000 }, (_, i) => `kcat-${i}`).join("\n");
    const kcat = run("kcat", ["-b", cluster.bootstrap, "-P", "-t", TWO, "-p", "0", "-X", "acks=all"], {
      timeout: 60_000,
    });
    kcat.child.stdin!.end(`${lines}\n`);
    const consumer = await connect(leader);
    let offset = 0n;
    let past = 0;
    while (offset < 2000n) {
      const r = await consumerFetch(consumer, TWO, offset);
      offset = r.next;
      past += r.past;
    }
    await kcat;
    expect(past).toBe(0);

    // A follower of both dies: it leaves both ISRs.
    const victim = [1, 2, 3].find((id) => id !== leader && id !== leaderThree)!;
    await cluster.kill(victim);
    await until(
      "the killed follower out of both ISRs",
      async () =>
        !(await partitionInfo(TWO)).isr.includes(victim) && !(await partitionInfo(THREE)).isr.includes(victim),
    );
    const producer = await connect(leader);
    const producerThree = await connect(leaderThree);
    expect(await produce(producerThree, THREE, ["refused"])).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(await produce(producer, TWO, ["two-isr"])).toBe(0);

    // Back: it catches up, rejoins both ISRs; acks=all on the min.insync.replicas=3 topic works again.
    await cluster.restart(victim);
    await until(
      "the follower back in both ISRs",
      async () => (await partitionInfo(TWO)).isr.length === 3 && (await partitionInfo(THREE)).isr.length === 3,
      30_000,
    );
    expect(await produce(producerThree, THREE, ["accepted"])).toBe(0);
    producer.close();
    producerThree.close();
    consumer.close();
    const { stdout } = await run(
      "kcat",
      ["-b", cluster.bootstrap, "-C", "-t", TWO, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%s\n"],
      { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
    );
    const read = stdout.split("\n").filter((l) => l !== "");
    expect(read).toEqual([...Array.from({ length: 2000 }, (_, i) => `kcat-${i}`), "two-isr"]);
    const three = await run(
      "kcat",
      ["-b", cluster.bootstrap, "-C", "-t", THREE, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%s\n"],
      { timeout: 60_000 },
    );
    expect(three.stdout.split("\n").filter((l) => l !== "")).toEqual(["accepted"]);
  }, 180_000);
});
