// The leader side of replication over real sockets, on 3 in-process brokers. While the brokers'
// own replica fetchers are held (their Fetch waits at the leader's door, as behind a stalled
// network) the test plays the followers (Fetch with a replica id, as a fetcher sends it), so each
// step of Kafka's rules is visible: acks=all waits for the ISR, consumers never read past the HW,
// followers' bad fetches get Kafka's errors and lose nothing, silent followers leave the ISR
// through AlterPartition; released, the real fetchers catch up and rejoin it. Last, the leader
// stops: the new leader fences the old epoch and serves every acknowledged record.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CreateTopicsResponse,
  encodeRecordBatch,
  type FetchResponse,
  type ListOffsetsResponse,
  type ProduceResponse,
} from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, ErrorCode, HANDLERS, startBroker } from "../../src/index.js";
import type { Handler } from "../../src/handlers/types.js";
import { formatStorage, newClusterId } from "../../src/metadata/meta-properties.js";
import { RawClient } from "../helpers/raw-client.js";
import { createTopicsRequest, nodeConfigs, until } from "../cluster/harness.js";

const TOPIC = "replicated";
const LAG_MS = 3000;

let root: string;
let brokers: Broker[];
let leader: Broker;
let followers: number[];
/** Fetches go on `client`, produces on `producer`: a connection answers in order, and acks=all waits. */
let client: RawClient;
let producer: RawClient;

/** The brokers' own fetchers' requests wait while held (the test's fetches, client id raw-test, pass). */
let held = true;
let release: (() => void)[] = [];
function releaseFetchers(): void {
  held = false;
  for (const r of release) r();
  release = [];
}
const gated: readonly Handler[] = HANDLERS.map((h) =>
  h.apiKey !== 1
    ? h
    : {
        ...h,
        handle(req, ctx) {
          const ours = (req.topics as { topic?: string }[]).some((t) => t.topic === TOPIC);
          if (!held || !ours || (req.replicaId ?? -1) < 0 || ctx.clientId === "raw-test") return h.handle(req, ctx);
          return new Promise<void>((r) => release.push(r)).then(() => h.handle(req, ctx));
        },
      },
);

function produce(acks: number, values: string[], timeoutMs = 10_000): Promise<ProduceResponse> {
  const records = encodeRecordBatch({
    records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 1 })),
  });
  return producer.send<ProduceResponse>(0, 9, {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  });
}

interface FetchAs {
  replicaId: number;
  fetchOffset: number;
  currentLeaderEpoch?: number;
  lastFetchedEpoch?: number;
}

async function fetchAs(o: FetchAs): Promise<FetchResponse["responses"][number]["partitions"][number]> {
  const res = await client.send<FetchResponse>(1, 12, {
    replicaId: o.replicaId,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: o.currentLeaderEpoch ?? -1,
            fetchOffset: BigInt(o.fetchOffset),
            lastFetchedEpoch: o.lastFetchedEpoch ?? -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  });
  return res.responses[0]!.partitions[0]!;
}

/** ListOffsets LATEST (-1) as a consumer (replica id -1) or a replica. */
async function latest(replicaId: number): Promise<bigint> {
  const res = await client.send<ListOffsetsResponse>(2, 7, {
    replicaId,
    isolationLevel: 0,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  return res.topics[0]!.partitions[0]!.offset ?? -1n;
}

const recordBytes = (p: { records: unknown }): number => (p.records as Buffer | null)?.length ?? 0;
const partitionState = () => leader.services.topics.partition(TOPIC, 0)!;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gregor-leader-"));
  const clusterId = newClusterId();
  const configs = await nodeConfigs(root, [1, 2, 3], {
    "gregor.admin.port": 0,
    "replica.lag.time.max.ms": LAG_MS,
    "min.insync.replicas": 2,
  });
  for (const id of [1, 2, 3]) await formatStorage({ dirs: [join(root, `node-${id}`)], clusterId, nodeId: id });
  brokers = await Promise.all(
    [1, 2, 3].map((id) =>
      startBroker({
        brokerConfig: configs.get(id)!,
        clusterId,
        readyTimeoutMs: 30_000,
        handlers: gated,
        logLevel: process.env.LOGLEVEL ?? "warn",
      }),
    ),
  );
  const admin = await RawClient.connect(brokers[0]!.port);
  const created = await admin.send<CreateTopicsResponse>(19, 5, createTopicsRequest(TOPIC, 1, 3));
  admin.close();
  expect(created.topics[0]!.errorCode).toBe(0);
  const leaderId = await until("the partition's leader on every broker", () => {
    const ids = brokers.map((b) => b.services.topics.partition(TOPIC, 0)?.leader ?? -1);
    return ids[0]! >= 0 && ids.every((id) => id === ids[0]) ? ids[0] : undefined;
  });
  leader = brokers.find((b) => b.nodeId === leaderId)!;
  followers = [1, 2, 3].filter((id) => id !== leaderId);
  client = await RawClient.connect(leader.port);
  producer = await RawClient.connect(leader.port);
  // Both followers report in at the (empty) log end, as a fetcher's first fetch does: caught up.
  for (const id of followers) expect((await fetchAs({ replicaId: id, fetchOffset: 0 })).errorCode).toBe(0);
}, 60_000);

afterAll(async () => {
  releaseFetchers();
  client?.close();
  producer?.close();
  await Promise.all((brokers ?? []).map((b) => b.close()));
  await rm(root, { recursive: true, force: true });
});

describe("a partition leader with followers", () => {
  it("answers acks=all once every ISR member fetched past the batch; consumers stay below the HW", async () => {
    const [f1, f2] = followers as [number, number];
    const pending = produce(-1, ["a", "b", "c"]);
    let answered = false;
    void pending.then(() => {
      answered = true;
    });
    await until("the batch in the leader's log", () => partitionState().log!.logEndOffset === 3);
    const consumer = await fetchAs({ replicaId: -1, fetchOffset: 0 });
    expect(consumer.highWatermark).toBe(0n);
    expect(recordBytes(consumer)).toBe(0);
    // ListOffsets LATEST: the HW for a consumer, the log end for a replica (as Kafka answers).
    expect(await latest(-1)).toBe(0n);
    expect(await latest(f1)).toBe(3n);

    const first = await fetchAs({ replicaId: f1, fetchOffset: 0 });
    expect(first.errorCode).toBe(0);
    expect(recordBytes(first)).toBeGreaterThan(0);
    // f1 has the batch, f2 nothing yet: the HW waits for f2.
    const second = await fetchAs({ replicaId: f1, fetchOffset: 3 });
    expect(second.highWatermark).toBe(0n);
    expect(answered).toBe(false);

    await fetchAs({ replicaId: f2, fetchOffset: 0 });
    const caughtUp = await fetchAs({ replicaId: f2, fetchOffset: 3 });
    expect(caughtUp.highWatermark).toBe(3n);
    const res = await pending;
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect(res.responses[0]!.partitionResponses[0]!.baseOffset).toBe(0n);
    const after = await fetchAs({ replicaId: -1, fetchOffset: 0 });
    expect(after.highWatermark).toBe(3n);
    expect(recordBytes(after)).toBeGreaterThan(0);
  });

  it("times out an acks=all produce nobody replicates (REQUEST_TIMED_OUT; the batch stays, uncommitted)", async () => {
    const res = await produce(-1, ["f"], 300);
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(partitionState().log!.logEndOffset).toBe(4);
    expect((await fetchAs({ replicaId: -1, fetchOffset: 0 })).highWatermark).toBe(3n);
    // The followers fetch it: committed.
    for (const id of followers) await fetchAs({ replicaId: id, fetchOffset: 3 });
    for (const id of followers) await fetchAs({ replicaId: id, fetchOffset: 4 });
    expect((await fetchAs({ replicaId: -1, fetchOffset: 0 })).highWatermark).toBe(4n);
  });

  it("gives a follower's bad fetches Kafka's errors and loses nothing", async () => {
    const [f1] = followers as [number, number];
    const epoch = partitionState().leaderEpoch;
    expect((await fetchAs({ replicaId: 99, fetchOffset: 0 })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await fetchAs({ replicaId: f1, fetchOffset: 0, currentLeaderEpoch: epoch + 1 })).errorCode).toBe(
      ErrorCode.UNKNOWN_LEADER_EPOCH,
    );
    // Past the leader's log end: OFFSET_OUT_OF_RANGE without an epoch, the divergence point with one.
    const past = await fetchAs({ replicaId: f1, fetchOffset: 1000 });
    expect(past.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const diverging = await fetchAs({ replicaId: f1, fetchOffset: 1000, lastFetchedEpoch: epoch });
    expect(diverging.errorCode).toBe(0);
    expect(diverging.divergingEpoch).toEqual({ epoch, endOffset: 4n });
    expect(recordBytes(diverging)).toBe(0);
    // A last fetched epoch newer than every epoch the leader has: no end offset to compare, Kafka's
    // OFFSET_OUT_OF_RANGE (a divergingEpoch of -1/-1 would read as no divergence and loop).
    const unknown = await fetchAs({ replicaId: f1, fetchOffset: 4, lastFetchedEpoch: epoch + 7 });
    expect(unknown.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(unknown.divergingEpoch ?? { epoch: -1, endOffset: -1n }).toEqual({ epoch: -1, endOffset: -1n });
    expect(partitionState().log!.logEndOffset).toBe(4);
    const consumer = await fetchAs({ replicaId: -1, fetchOffset: 0 });
    expect(consumer.highWatermark).toBe(4n);
  });

  it("shrinks the ISR of silent followers (acks=all then fails before appending) and expands it on catch-up", async () => {
    // Followers that stop at the leader's log end stay caught up (Kafka's rule) until it moves on.
    const one = await produce(1, ["d"]);
    expect(one.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect((await fetchAs({ replicaId: -1, fetchOffset: 4 })).highWatermark).toBe(4n);
    await until("the ISR shrunk to the leader", () => partitionState().isr.length === 1, LAG_MS * 10);
    for (const b of brokers)
      await until(
        `broker ${b.nodeId} sees the shrunk ISR`,
        () => b.services.topics.partition(TOPIC, 0)!.isr.length === 1,
      );
    // ISR = {leader}: the HW is the leader's log end; acks=all is refused before the append.
    expect((await fetchAs({ replicaId: -1, fetchOffset: 4 })).highWatermark).toBe(5n);
    const refused = await produce(-1, ["x"]);
    expect(refused.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(partitionState().log!.logEndOffset).toBe(5);
    const metrics = () => leader.services.metrics.toPrometheus(String);
    expect(metrics()).toContain("gregor_under_replicated_partitions 1\n");
    expect(metrics()).toContain("gregor_under_min_isr_partitions 1\n");

    // The brokers' fetchers resume: both followers copy the log and rejoin the ISR.
    releaseFetchers();
    await until("every replica back in the ISR", () => partitionState().isr.length === 3, 15_000);
    expect(metrics()).toContain("gregor_under_replicated_partitions 0\n");
    expect(metrics()).toContain("gregor_under_min_isr_partitions 0\n");
    const ok = await produce(-1, ["e"]);
    expect(ok.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    const leo = partitionState().log!.logEndOffset;
    expect(leo).toBe(6);
    const leaderBytes = Buffer.concat(await partitionState().log!.read(0, 1 << 20, true));
    for (const id of followers) {
      const f = brokers.find((b) => b.nodeId === id)!;
      const log = f.services.topics.partition(TOPIC, 0)!.log!;
      await until(`follower ${id} has the leader's log end`, () => log.logEndOffset === leo);
      expect(Buffer.concat(await log.read(0, 1 << 20, true))).toEqual(leaderBytes);
    }
    // Every broker checkpoints its HW in Kafka's file (the leader's is the committed end).
    await leader.services.replicas.writeCheckpoint();
    const checkpoint = await readFile(join(root, `node-${leader.nodeId}`, "replication-offset-checkpoint"), "utf8");
    expect(checkpoint).toContain(`${TOPIC} 0 ${leo}\n`);
  }, 30_000);

  it("after the leader stops, the new leader (epoch + 1) fences the old epoch and serves every acknowledged record", async () => {
    const oldEpoch = partitionState().leaderEpoch;
    const leo = partitionState().log!.logEndOffset;
    const old = leader;
    client.close();
    producer.close();
    await old.close();
    // A clean shutdown checkpoints the HW (the committed log end) for the restart to start from.
    const checkpoint = await readFile(join(root, `node-${old.nodeId}`, "replication-offset-checkpoint"), "utf8");
    expect(checkpoint).toContain(`${TOPIC} 0 ${leo}\n`);
    const next = await until("a new leader at a newer epoch", () => {
      const b = brokers.find((x) => x !== old && x.services.topics.partition(TOPIC, 0)!.leader === x.nodeId);
      return b !== undefined && b.services.topics.partition(TOPIC, 0)!.leaderEpoch > oldEpoch ? b : undefined;
    });
    leader = next;
    client = await RawClient.connect(next.port);
    producer = await RawClient.connect(next.port);
    const follower = brokers.find((b) => b !== old && b !== next)!.nodeId;
    const stale = await fetchAs({ replicaId: follower, fetchOffset: leo, currentLeaderEpoch: oldEpoch });
    expect(stale.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    const consumer = await until("the new leader's HW at the old log end", async () => {
      const r = await fetchAs({ replicaId: -1, fetchOffset: 0 });
      return r.highWatermark === BigInt(leo) ? r : undefined;
    });
    expect(recordBytes(consumer)).toBeGreaterThan(0);
    expect(partitionState().log!.logEndOffset).toBe(leo);
  }, 30_000);
});
