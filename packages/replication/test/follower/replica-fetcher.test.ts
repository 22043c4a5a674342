// The fetcher's answers to each thing a leader can say, one scripted case at a time, against the
// simulation's leader model (sim-cluster.ts) and its in-memory logs.
import { Prng } from "@gregor/testkit";
import { describe, expect, it } from "vitest";
import { appendFollowerRecords, offsetTruncationState } from "../../src/follower/index.js";
import { SimCluster, TP } from "./sim-cluster.js";
import { SimLog } from "./sim-log.js";

/** Broker 1 leads at epoch 0 (or the given one); brokers 2 and 3 follow. */
function cluster(v12 = true): SimCluster {
  const sim = new SimCluster(new Prng(1));
  for (const b of sim.brokers) (b as { v12: boolean }).v12 = v12;
  for (const b of sim.brokers) sim.deliverImage(b);
  return sim;
}

const fetcherOf = (sim: SimCluster, id: number) => [...sim.broker(id).fetchers.values()][0]!;

describe("ReplicaFetcher", () => {
  it("copies the leader's batches verbatim and follows its high watermark", async () => {
    const sim = cluster();
    const leader = sim.broker(1);
    for (let i = 0; i < 5; i++) leader.log.appendAsLeader(3, 0, `a${i}`);
    for (let round = 0; round < 20; round++) for (const id of [2, 3]) await fetcherOf(sim, id).doWork();
    for (const id of [2, 3]) {
      const f = sim.broker(id).log;
      expect(f.logEndOffset).toBe(15);
      expect(f.highWatermark).toBe(15);
      expect(
        Buffer.concat(f.batches.map((b) => b.buf)).equals(Buffer.concat(leader.log.batches.map((b) => b.buf))),
      ).toBe(true);
    }
  });

  it("does not append a corrupt batch, backs off and re-fetches the same offset", async () => {
    const sim = cluster();
    const leader = sim.broker(1);
    leader.log.appendAsLeader(2, 0, "x");
    leader.corruptNext = true;
    const f = fetcherOf(sim, 2);
    const errors: string[] = [];
    (f as unknown as { events: { onError: (tp: unknown, m: string) => void } }).events.onError = (_tp, m) =>
      errors.push(m);
    expect(await f.doWork()).toBe(0);
    expect(sim.broker(2).log.logEndOffset).toBe(0);
    expect(errors[0]).toMatch(/append at 0 failed; re-fetching/);
    // Backed off: nothing is fetched until replica.fetch.backoff.ms passed.
    expect(await f.doWork()).toBeGreaterThan(0);
    sim.nowMs += 100;
    await f.doWork();
    expect(sim.broker(2).log.logEndOffset).toBe(2);
  });

  it("starts over at the leader's log start when its log starts past our end (OFFSET_OUT_OF_RANGE)", async () => {
    const sim = cluster();
    const leader = sim.broker(1);
    for (let i = 0; i < 4; i++) leader.log.appendAsLeader(3, 0, `b${i}`);
    await leader.log.deleteRecordsBefore(7); // inside the batch 6-8
    const truncations: string[] = [];
    const f = fetcherOf(sim, 2);
    (f as unknown as { events: { onTruncate: (...a: unknown[]) => void } }).events.onTruncate = (_tp, from, to) =>
      truncations.push(`${from}->${to}`);
    await f.doWork(); // OFFSET_OUT_OF_RANGE, ListOffsets, truncateFullyAndStartAt(7)
    expect(truncations).toEqual(["0->7"]);
    for (let i = 0; i < 5; i++) await f.doWork();
    const log = sim.broker(2).log;
    // The batch holding offset 7 starts at 6: the empty log restarts there (Kafka does the same).
    expect(log.batches.map((b) => b.base)).toEqual([6, 9]);
    expect(log.logEndOffset).toBe(12);
  });

  it("truncates a returning ex-leader's unreplicated records to the divergence point (Fetch v12)", async () => {
    await divergence(true);
  });

  it("truncates through OffsetForLeaderEpoch when the leader is older than Fetch v12", async () => {
    await divergence(false);
  });

  it("pauses on FENCED_LEADER_EPOCH until a newer image re-adds the partition", async () => {
    const sim = cluster();
    sim.controller = { leader: 1, epoch: 1 };
    sim.deliverImage(sim.broker(1)); // the leader knows epoch 1; follower 2 still fetches with 0
    sim.broker(1).log.appendAsLeader(1, 1, "c");
    const f = fetcherOf(sim, 2);
    await f.doWork();
    expect(f.partitionState(TP)?.state).toBe("paused");
    sim.nowMs += 10_000;
    await f.doWork();
    expect(sim.broker(2).log.logEndOffset).toBe(0);
    sim.deliverImage(sim.broker(2));
    await f.doWork();
    expect(sim.broker(2).log.logEndOffset).toBe(1);
  });

  it("retries NOT_LEADER_OR_FOLLOWER after the backoff (the leader's image may lag ours)", async () => {
    const sim = cluster();
    sim.controller = { leader: 3, epoch: 1 };
    sim.deliverImage(sim.broker(2)); // 2 fetches from 3, which does not know yet that it leads
    const f = sim.broker(2).fetchers.get(3)!;
    await f.doWork();
    expect(f.partitionState(TP)?.state).toBe("fetching");
    expect(await f.doWork()).toBe(100);
    sim.deliverImage(sim.broker(3));
    sim.broker(3).log.appendAsLeader(2, 1, "d");
    sim.nowMs += 100;
    await f.doWork();
    expect(sim.broker(2).log.logEndOffset).toBe(2);
  });

  it("backs off when the leader cannot be reached and resumes once it can", async () => {
    const sim = cluster();
    sim.broker(1).log.appendAsLeader(2, 0, "e");
    sim.broker(1).cut = true;
    const f = fetcherOf(sim, 2);
    expect(await f.doWork()).toBe(100);
    sim.broker(1).cut = false;
    expect(await f.doWork()).toBe(100); // still backing off
    sim.nowMs += 100;
    await f.doWork();
    expect(sim.broker(2).log.logEndOffset).toBe(2);
  });
});

/** Leader 1 writes at epoch 0; 1 is cut off and writes more; 2 leads at epoch 1; 1 returns. */
async function divergence(v12: boolean): Promise<void> {
  const sim = cluster(v12);
  const one = sim.broker(1);
  one.log.appendAsLeader(2, 0, "shared");
  for (let i = 0; i < 3; i++) for (const id of [2, 3]) await fetcherOf(sim, id).doWork();
  one.log.appendAsLeader(3, 0, "lost"); // acks=1 writes nobody replicates
  sim.controller = { leader: 2, epoch: 1 };
  for (const b of sim.brokers) sim.deliverImage(b);
  sim.broker(2).log.appendAsLeader(4, 1, "new");
  const f = one.fetchers.get(2)!;
  for (let i = 0; i < 6; i++) {
    sim.nowMs += 100;
    await f.doWork();
    await sim.broker(3).fetchers.get(2)!.doWork();
  }
  const batches = (id: number) => sim.broker(id).log.batches.map((b) => b.buf.toString("hex"));
  expect(batches(1)).toEqual(batches(2));
  expect(batches(3)).toEqual(batches(2));
  expect(one.log.logEndOffset).toBe(6);
}

describe("offsetTruncationState", () => {
  const log = new SimLog();
  log.appendAsLeader(2, 1, "a"); // 0-1 @1
  log.appendAsLeader(2, 3, "b"); // 2-3 @3
  log.setHighWatermark(1);
  it("takes the smaller end when both know the epoch", () => {
    expect(offsetTruncationState(log, { leaderEpoch: 3, endOffset: 3 })).toEqual({
      offset: 3,
      truncationCompleted: true,
    });
    expect(offsetTruncationState(log, { leaderEpoch: 1, endOffset: 5 })).toEqual({
      offset: 2,
      truncationCompleted: true,
    });
  });
  it("cuts to its own earlier epoch's end and asks again when it never had the leader's epoch", () => {
    expect(offsetTruncationState(log, { leaderEpoch: 2, endOffset: 3 })).toEqual({
      offset: 2,
      truncationCompleted: false,
    });
  });
  it("falls back to the high watermark when the leader knows no epoch", () => {
    expect(offsetTruncationState(log, { leaderEpoch: -1, endOffset: -1 })).toEqual({
      offset: 1,
      truncationCompleted: true,
    });
    expect(offsetTruncationState(log, { leaderEpoch: -1, endOffset: 1 })).toEqual({
      offset: 1,
      truncationCompleted: true,
    });
  });
});

describe("appendFollowerRecords", () => {
  const leader = new SimLog();
  for (let i = 0; i < 3; i++) leader.appendAsLeader(2, 0, `r${i}`); // 0-1, 2-3, 4-5
  const all = Buffer.concat(leader.batches.map((b) => b.buf));
  it("skips batches already held and leaves a trailing partial batch", async () => {
    const log = new SimLog();
    await log.appendAsFollower(leader.batches[0]!.buf);
    const out = await appendFollowerRecords(log, all.subarray(0, all.length - 5));
    expect(out.batches).toBe(1);
    expect(log.logEndOffset).toBe(4);
  });
  it("restarts an empty log at a batch that straddles its start", async () => {
    const log = new SimLog();
    await log.truncateFullyAndStartAt(3);
    await appendFollowerRecords(log, all.subarray(leader.batches[0]!.buf.length));
    expect([log.logStartOffset, log.logEndOffset]).toEqual([2, 6]);
  });
  it("truncates a non-empty log whose end falls inside a leader batch (a divergent tail)", async () => {
    const log = new SimLog();
    await log.appendAsFollower(all.subarray(0, leader.batches[0]!.buf.length + leader.batches[1]!.buf.length));
    const other = new SimLog();
    await other.truncateFullyAndStartAt(3);
    const straddling = other.appendAsLeader(2, 0, "z"); // 3-4, while we hold 0-1 and 2-3
    expect(await appendFollowerRecords(log, straddling.buf)).toEqual({ batches: 0, bytes: 0, truncatedFrom: 4 });
    expect(log.logEndOffset).toBe(2);
    // Batches we already hold are skipped: nothing appended.
    expect((await appendFollowerRecords(log, leader.batches[0]!.buf)).batches).toBe(0);
  });
});
