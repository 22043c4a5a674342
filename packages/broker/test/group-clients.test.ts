// Consumer groups with librdkafka (kcat, python3-confluent-kafka), kafka-python, and a mixed
// kafkajs + librdkafka group on the range assignor. Real clients, real sockets, one broker.
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { tempDir, until } from "@gregor/testkit";
import { AssignerProtocol, Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "../src/index.js";

const run = promisify(execFile);
const PY = "/usr/bin/python3";
const FIXTURES = join(import.meta.dirname, "fixtures");
let broker: Broker;
const dataDir = tempDir("gregor-group-clients-");

beforeAll(async () => {
  broker = await startBroker({
    dataDir,
    port: 0,
    config: { "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 1000, "gregor.admin.port": -1 },
  });
});
afterAll(async () => {
  await broker?.close();
});

function kafka(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
  });
}

async function topicWithRecords(topic: string, partitions: number, count: number): Promise<void> {
  const admin = kafka("admin").admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  const p = kafka("producer").producer();
  await p.connect();
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: String(i) }));
  await p.send({ topic, messages });
  await p.disconnect();
}

async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = kafka("admin").admin();
  await admin.connect();
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return offsets[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

/**
 * Runs `kcat -G` until `want` records arrived (or `idleMs` passed with nothing new), then stops it
 * with SIGTERM: kcat closes the consumer, which commits the consumed offsets and leaves the group.
 */
async function kcatGroup(group: string, topic: string, want: number, idleMs = 4000): Promise<string[]> {
  const child = spawn(
    "kcat",
    [
      "-b",
      broker.bootstrap,
      "-G",
      group,
      topic,
      "-q",
      "-u",
      "-f",
      "%s\\n",
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      "session.timeout.ms=6000",
      "-X",
      "auto.commit.interval.ms=200",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  let buf = "";
  let last = Date.now();
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ""));
    last = Date.now();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const started = Date.now();
  while (
    lines.length < want &&
    Date.now() - last < idleMs + (lines.length === 0 ? 10_000 : 0) &&
    Date.now() - started < 40_000
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGTERM");
  await exited;
  return lines;
}

interface PyResult {
  count: number;
  values: string[];
  assigned?: [string, number][];
  committed?: Record<string, number>;
}

/** Starts a python member in the background; `stop()` sends SIGTERM and resolves with its report. */
function pyBackground(script: string, args: string[]): { stop: () => Promise<PyResult> } {
  const child = spawn(PY, [join(FIXTURES, script), ...args], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      return JSON.parse(out.trim().split("\n").at(-1)!) as PyResult;
    },
  };
}

async function py(script: string, args: string[], timeoutMs = 60_000): Promise<PyResult> {
  const { stdout } = await run(PY, [join(FIXTURES, script), ...args], { timeout: timeoutMs });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as PyResult;
}

describe("librdkafka and kafka-python consumer groups", () => {
  it("kcat balanced consumer (-G) consumes everything, commits, and a second run resumes", async () => {
    await topicWithRecords("kcat-t", 3, 300);
    const first = await kcatGroup("g-kcat", "kcat-t", 300);
    expect(new Set(first).size).toBe(300);
    expect(await committedTotal("g-kcat", "kcat-t")).toBe(300);
    const p = kafka("producer").producer();
    await p.connect();
    await p.send({
      topic: "kcat-t",
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `n${i}`, value: `new${i}` })),
    });
    await p.disconnect();
    const second = await kcatGroup("g-kcat", "kcat-t", 30, 1500);
    expect(second.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `new${i}`).sort());
  });

  it("python3-confluent-kafka commits synchronously and resumes after its commits", async () => {
    await topicWithRecords("ck-t", 4, 400);
    const first = await py("group_confluent.py", [broker.bootstrap, "ck-t", "g-ck", "400"]);
    expect(new Set(first.values).size).toBe(400);
    expect(await committedTotal("g-ck", "ck-t")).toBe(400);
    const p = kafka("producer").producer();
    await p.connect();
    await p.send({
      topic: "ck-t",
      messages: Array.from({ length: 40 }, (_, i) => ({ key: `n${i}`, value: `new${i}` })),
    });
    await p.disconnect();
    const second = await py("group_confluent.py", [broker.bootstrap, "ck-t", "g-ck", "40"]);
    expect(second.values.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `new${i}`).sort());
  });

  it("kafka-python KafkaConsumer with a group_id", async () => {
    await topicWithRecords("kp-t", 2, 200);
    const r = await py("group_kafka_python.py", [broker.bootstrap, "kp-t", "g-kp", "200"]);
    expect(new Set(r.values).size).toBe(200);
    expect(Object.values(r.committed!).reduce((a, b) => a + b, 0)).toBe(200);
    expect(await committedTotal("g-kp", "kp-t")).toBe(200);
  });
});

/** Kafka's RangeAssignor for kafkajs (which ships none): members sorted by id, contiguous blocks. */
const RangeAssigner = ({
  cluster,
}: {
  cluster: { findTopicPartitionMetadata(t: string): { partitionId: number }[] };
}) => ({
  name: "range",
  version: 0,
  async assign({ members, topics }: { members: { memberId: string; memberMetadata: Buffer }[]; topics: string[] }) {
    const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const plan = new Map<string, Record<string, number[]>>(sorted.map((m) => [m.memberId, {}]));
    for (const topic of topics) {
      const subscribers = sorted.filter((m) =>
        AssignerProtocol.MemberMetadata.decode(m.memberMetadata)!.topics.includes(topic),
      );
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      const per = Math.floor(partitions.length / subscribers.length);
      const extra = partitions.length % subscribers.length;
      subscribers.forEach((m, i) => {
        const start = i * per + Math.min(i, extra);
        plan.get(m.memberId)![topic] = partitions.slice(start, start + per + (i < extra ? 1 : 0));
      });
    }
    return sorted.map((m) => ({
      memberId: m.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: plan.get(m.memberId)!,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }: { topics: string[] }) {
    return {
      name: "range",
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});

interface GroupAssignment {
  state: string;
  byClient: Map<string, number[]>;
}

async function describeAssignment(groupId: string): Promise<GroupAssignment> {
  const admin = kafka("describer").admin();
  await admin.connect();
  const d = (await admin.describeGroups([groupId])).groups[0]!;
  await admin.disconnect();
  const byClient = new Map<string, number[]>();
  for (const m of d.members) {
    const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    byClient.set(
      m.clientId,
      [...(a?.assignment["mixed-t"] ?? [])].sort((x, y) => x - y),
    );
  }
  return { state: d.state, byClient };
}

/** The group's assignment once `ok` holds (polled every 200 ms; fails naming `what` after timeoutMs). */
async function assignmentWhen(
  groupId: string,
  ok: (d: GroupAssignment) => boolean,
  what: string,
  timeoutMs: number,
): Promise<GroupAssignment> {
  return until(
    async () => {
      const d = await describeAssignment(groupId);
      return ok(d) ? d : undefined;
    },
    { what: `group ${groupId}: ${what}`, timeoutMs, intervalMs: 200 },
  );
}

describe("kafkajs and librdkafka in one group (range assignor)", () => {
  it("agree on the range assignment whichever of them leads", async () => {
    await topicWithRecords("mixed-t", 6, 60);
    // Kafka's range split of 6 partitions over 2 members, ordered by member id.
    const expected = [
      [0, 1, 2],
      [3, 4, 5],
    ];
    for (const [phase, leaderFirst] of [
      ["kafkajs-leads", "kafkajs"],
      ["librdkafka-leads", "librdkafka"],
    ] as const) {
      const groupId = `g-mixed-${phase}`;
      let consumer: Consumer | null = null;
      const startKafkajs = async () => {
        consumer = kafka(`kafkajs-${phase}`).consumer({
          groupId,
          sessionTimeout: 6000,
          heartbeatInterval: 300,
          maxWaitTimeInMs: 100,
          partitionAssigners: [RangeAssigner as never],
        });
        await consumer.connect();
        await consumer.subscribe({ topic: "mixed-t", fromBeginning: true });
        await consumer.run({ eachMessage: async () => {} });
      };
      const python = () =>
        pyBackground("group_confluent.py", [broker.bootstrap, "mixed-t", groupId, "0", "range", "30"]);
      let pyRun: { stop: () => Promise<PyResult> };
      if (leaderFirst === "kafkajs") {
        await startKafkajs();
        await assignmentWhen(groupId, (d) => d.state === "Stable", "Stable with kafkajs alone", 15_000);
        pyRun = python();
      } else {
        pyRun = python();
        await assignmentWhen(
          groupId,
          (d) => d.state === "Stable" && d.byClient.size === 1,
          "Stable with librdkafka alone",
          15_000,
        );
        await startKafkajs();
      }
      const d = await assignmentWhen(
        groupId,
        (x) => x.state === "Stable" && x.byClient.size === 2 && [...x.byClient.values()].every((a) => a.length === 3),
        "Stable with both members holding 3 partitions each",
        20_000,
      );
      const assignments = [...d.byClient.values()].sort((a, b) => a[0]! - b[0]!);
      expect(assignments).toEqual(expected);
      // Give librdkafka a moment to apply the assignment it received, then stop it.
      await new Promise((r) => setTimeout(r, 300));
      const pyResult = await pyRun.stop();
      // librdkafka's own view of its partitions matches what the group recorded for it.
      const rdkafkaPartitions = pyResult.assigned!.map(([, p]) => p).sort((a, b) => a - b);
      expect(rdkafkaPartitions).toEqual(
        d.byClient.get("rdkafka") ?? [...d.byClient].find(([k]) => !k.startsWith("kafkajs"))![1],
      );
      await (consumer as Consumer | null)?.disconnect();
    }
  });
});
