// Group coordinator benchmarks.
//   pnpm exec tsx --conditions=source packages/broker/bench/group.bench.ts
// 1. Rebalance: 10 members join a group subscribed to a 60-partition topic with
//    group.initial.rebalance.delay.ms=0; time until the first Stable generation holding all 10
//    (pure core, and through the broker's coordinator driver with its __consumer_offsets log).
// 2. OffsetCommit throughput: 10 members of a Stable group each committing one partition at a
//    time, back to back (pure core; driver on an on-disk log with fsync per write batch).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JoinGroupResponse, SyncGroupResponse } from "@gregor/protocol";
import { Connection } from "@gregor/client";
import { startBroker } from "../src/index.js";
import { GroupCoordinatorShard, PENDING, type CallInfo } from "../src/group/index.js";
import { groupCoordinatorOf, type GroupCoordinator } from "../src/group/driver/coordinator.js";

const MEMBERS = 10;
const PARTITIONS = 60;
const subscription = Buffer.from([0, 0, 0, 0, 0, 1, 0, 5, ...Buffer.from("bench"), 0xff, 0xff, 0xff, 0xff]);
const protocols = [{ name: "range", metadata: subscription }];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Drives a group of clients that rejoin as soon as they learn of a rebalance. */
async function formGroup(
  call: <R>(api: string, body: unknown, call: Omit<CallInfo, "requestId">) => Promise<R>,
  groupId: string,
): Promise<{ members: string[]; generationId: number }> {
  const info = (i: number) => ({ version: 5, clientId: `m${i}`, clientHost: "/127.0.0.1" });
  const join = (i: number, memberId: string) =>
    call<JoinGroupResponse>(
      "JoinGroup",
      {
        groupId,
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocols,
      },
      info(i),
    );
  const ids = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => join(i, "").then((r) => r.memberId)));
  // Each client loops join -> sync until it holds an assignment of a generation with everyone.
  const runMember = async (i: number): Promise<number> => {
    for (;;) {
      const j = await join(i, ids[i]!);
      if (j.errorCode !== 0) continue;
      const assignments =
        j.leader === ids[i] ? j.members.map((m, k) => ({ memberId: m.memberId, assignment: Buffer.from([k]) })) : [];
      const s = await call<SyncGroupResponse>(
        "SyncGroup",
        { groupId, generationId: j.generationId, memberId: ids[i]!, assignments },
        info(i),
      );
      if (s.errorCode === 0 && j.members.length <= MEMBERS && (j.leader !== ids[i] || j.members.length === MEMBERS)) {
        if (j.leader === ids[i] || (await stableWithAll(j.generationId))) return j.generationId;
      }
    }
  };
  let stableGeneration = -1;
  const stableWithAll = async (generationId: number) => generationId === stableGeneration;
  // The leader of the full generation returns first; followers of it return right after.
  const generations = await Promise.all(
    Array.from({ length: MEMBERS }, (_, i) =>
      runMember(i).then((g) => {
        stableGeneration = Math.max(stableGeneration, g);
        return g;
      }),
    ),
  );
  return { members: ids, generationId: Math.max(...generations) };
}

function coreCaller(shard: GroupCoordinatorShard, nowMs: () => number) {
  let requestId = 1;
  const waiters = new Map<number, (r: unknown) => void>();
  return <R>(api: string, body: unknown, c: Omit<CallInfo, "requestId">): Promise<R> => {
    const id = requestId++;
    const r = shard.handle({ api, call: { requestId: id, ...c }, body } as never, nowMs());
    const p =
      r.response === PENDING
        ? new Promise<R>((res) => waiters.set(id, res as (x: unknown) => void))
        : Promise.resolve(r.response as R);
    for (const c2 of r.completions) {
      waiters.get(c2.requestId)?.(c2.response);
      waiters.delete(c2.requestId);
    }
    return p;
  };
}

function driverCaller(gc: GroupCoordinator) {
  return <R>(api: string, body: unknown, c: Omit<CallInfo, "requestId">): Promise<R> =>
    gc.call((body as { groupId: string }).groupId, api as never, c, body as never) as Promise<R>;
}

async function benchRebalance(): Promise<void> {
  const topics = { partitionCount: (t: string) => (t === "bench" ? PARTITIONS : undefined) };
  const core: number[] = [];
  for (let i = 0; i < 50; i++) {
    const shard = new GroupCoordinatorShard({ config: { initialRebalanceDelayMs: 0 }, topics, random: Math.random });
    shard.onLoaded(0);
    const t0 = performance.now();
    const r = await formGroup(
      coreCaller(shard, () => 0),
      "g",
    );
    core.push(performance.now() - t0);
    if (shard.groups.get("g")!.state !== "Stable" || shard.groups.get("g")!.size !== MEMBERS)
      throw new Error(`not stable: gen ${r.generationId}`);
  }
  console.log(
    `rebalance, pure core: ${MEMBERS} members -> Stable generation with all: median ${median(core).toFixed(3)} ms (50 runs)`,
  );

  const broker = await startBroker({
    dataDir: ":memory:",
    port: 0,
    config: { "group.initial.rebalance.delay.ms": 0, "gregor.admin.port": -1, "num.partitions": PARTITIONS },
  });
  const gc = groupCoordinatorOf(broker.services);
  await gc.ensureReady();
  const driver: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await formGroup(driverCaller(gc), `g${i}`);
    driver.push(performance.now() - t0);
  }
  console.log(`rebalance, broker coordinator driver (in-memory log): median ${median(driver).toFixed(3)} ms (30 runs)`);

  // Over TCP: one connection per member (a parked JoinGroup holds its connection's later responses).
  const conns = await Promise.all(
    Array.from({ length: MEMBERS }, (_, i) =>
      Connection.connect({ host: "127.0.0.1", port: broker.port, clientId: `m${i}` }),
    ),
  );
  const apiKeys: Record<string, number> = { JoinGroup: 11, SyncGroup: 14 };
  const wire = <R>(api: string, body: unknown, c: Omit<CallInfo, "requestId">): Promise<R> =>
    conns[Number(c.clientId.slice(1))]!.request<R>(apiKeys[api]!, body, { apiVersion: 5 });
  const net: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await formGroup(wire, `net${i}`);
    net.push(performance.now() - t0);
  }
  console.log(
    `rebalance, over TCP (10 connections, JoinGroup v5 incl. MEMBER_ID_REQUIRED round trip, SyncGroup v5): median ${median(net).toFixed(3)} ms (30 runs)`,
  );
  for (const c of conns) c.close();
  await broker.close();
}

async function benchCommits(): Promise<void> {
  // Pure core.
  const topics = { partitionCount: () => PARTITIONS };
  const shard = new GroupCoordinatorShard({ config: { initialRebalanceDelayMs: 0 }, topics, random: Math.random });
  shard.onLoaded(0);
  const g = await formGroup(
    coreCaller(shard, () => 0),
    "g",
  );
  const N = 200_000;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const m = i % MEMBERS;
    shard.handle(
      {
        api: "OffsetCommit",
        call: { requestId: i, version: 8, clientId: "m", clientHost: "/h" },
        body: {
          groupId: "g",
          generationIdOrMemberEpoch: g.generationId,
          memberId: g.members[m]!,
          topics: [
            {
              name: "bench",
              partitions: [
                { partitionIndex: m, committedOffset: BigInt(i), committedLeaderEpoch: -1, committedMetadata: "" },
              ],
            },
          ],
        },
      },
      0,
    );
  }
  let secs = (performance.now() - t0) / 1000;
  console.log(
    `OffsetCommit, pure core: ${(N / secs).toFixed(0)} commits/s (${N} single-partition commits, ${MEMBERS} members)`,
  );

  // Through the driver onto an on-disk __consumer_offsets partition (append + fsync, group commit).
  const dir = mkdtempSync(join(tmpdir(), "gregor-group-bench-"));
  const broker = await startBroker({
    dataDir: dir,
    port: 0,
    config: { "group.initial.rebalance.delay.ms": 0, "gregor.admin.port": -1 },
  });
  await broker.services.internalTopic("bench", PARTITIONS, {});
  const gc = groupCoordinatorOf(broker.services);
  await gc.ensureReady();
  const dg = await formGroup(driverCaller(gc), "g");
  const PER_MEMBER = 3000;
  const commitLoop = (inFlight: number) =>
    Promise.all(
      Array.from({ length: MEMBERS * inFlight }, async (_, w) => {
        const m = w % MEMBERS;
        for (let i = 0; i < PER_MEMBER / inFlight; i++) {
          const r = await gc.call(
            "g",
            "OffsetCommit",
            { version: 8, clientId: "m", clientHost: "/h" },
            {
              groupId: "g",
              generationIdOrMemberEpoch: dg.generationId,
              memberId: dg.members[m]!,
              topics: [
                {
                  name: "bench",
                  partitions: [
                    { partitionIndex: m, committedOffset: BigInt(i), committedLeaderEpoch: -1, committedMetadata: "" },
                  ],
                },
              ],
            },
          );
          if ("errorCode" in r || r.topics[0]!.partitions[0]!.errorCode !== 0) throw new Error("commit failed");
        }
      }),
    );
  for (const inFlight of [1, 8, 32]) {
    t0 = performance.now();
    await commitLoop(inFlight);
    secs = (performance.now() - t0) / 1000;
    console.log(
      `OffsetCommit, broker driver on disk (fsync per write batch): ${((MEMBERS * PER_MEMBER) / secs).toFixed(0)} commits/s (${MEMBERS} members x ${PER_MEMBER}, ${inFlight} in flight each)`,
    );
  }
  // The same over TCP: OffsetCommit v8 from 10 connections, pipelined.
  const conns = await Promise.all(
    Array.from({ length: MEMBERS }, (_, i) =>
      Connection.connect({ host: "127.0.0.1", port: broker.port, clientId: `m${i}`, maxInFlightRequests: 64 }),
    ),
  );
  for (const inFlight of [1, 32]) {
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: MEMBERS * inFlight }, async (_, w) => {
        const m = w % MEMBERS;
        for (let i = 0; i < PER_MEMBER / inFlight; i++) {
          const r = await conns[m]!.request<{ topics: { partitions: { errorCode: number }[] }[] }>(
            8,
            {
              groupId: "g",
              generationIdOrMemberEpoch: dg.generationId,
              memberId: dg.members[m]!,
              groupInstanceId: null,
              topics: [
                {
                  name: "bench",
                  partitions: [
                    { partitionIndex: m, committedOffset: BigInt(i), committedLeaderEpoch: -1, committedMetadata: "" },
                  ],
                },
              ],
            },
            { apiVersion: 8 },
          );
          if (r.topics[0]!.partitions[0]!.errorCode !== 0)
            throw new Error(`commit failed ${r.topics[0]!.partitions[0]!.errorCode}`);
        }
      }),
    );
    secs = (performance.now() - t0) / 1000;
    console.log(
      `OffsetCommit over TCP, on disk (fsync per write batch): ${((MEMBERS * PER_MEMBER) / secs).toFixed(0)} commits/s (${MEMBERS} connections, ${inFlight} in flight each)`,
    );
  }
  for (const c of conns) c.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`group coordinator bench, node ${process.version}, ${new Date().toISOString()}`);
await benchRebalance();
await benchCommits();
