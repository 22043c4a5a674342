// A failed __consumer_offsets write must not be acknowledged: the client gets a retriable
// coordinator error, parked requests are answered, and the shard is rebuilt from the log so a later
// OffsetFetch shows the offset committed before the failure.
import { Connection } from "@gregor/client";
import type {
  FindCoordinatorResponse,
  JoinGroupResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from "@gregor/protocol";
import { until } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "../src/index.js";
import { partitionForGroup } from "../src/group/index.js";
import type { PartitionLog } from "../src/log/partition-log.js";

const COORDINATOR_NOT_AVAILABLE = 15;

let broker: Broker;
let conn: Connection;
beforeAll(async () => {
  broker = await startBroker({
    dataDir: ":memory:",
    port: 0,
    logLevel: "silent",
    config: { "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 1000, "gregor.admin.port": -1 },
  });
  await broker.services.internalTopic("wf-t", 2, {});
  conn = await Connection.connect({ host: "127.0.0.1", port: broker.port, clientId: "wf" });
  await conn.request<FindCoordinatorResponse>(10, { key: "wf-g", keyType: 0 }, { apiVersion: 1 });
});
afterAll(async () => {
  conn?.close();
  await broker?.close();
});

const commit = (groupId: string, offset: bigint) =>
  conn
    .request<OffsetCommitResponse>(
      8,
      {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: "wf-t",
            partitions: [
              { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: "" },
              { partitionIndex: 1, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: "" },
            ],
          },
        ],
      },
      { apiVersion: 7 },
    )
    .then((r) => r.topics[0]!.partitions.map((p) => p.errorCode));

const fetchOffsets = (groupId: string) =>
  conn
    .request<OffsetFetchResponse>(
      9,
      { groupId, topics: [{ name: "wf-t", partitionIndexes: [0, 1] }], requireStable: false },
      { apiVersion: 7 },
    )
    .then((r) => ({ errorCode: r.errorCode ?? 0, offsets: r.topics![0]!.partitions.map((p) => p.committedOffset) }));

/** Makes the group's __consumer_offsets partition fail appends (errorCode path) or throw on flush until restored. */
function breakLog(groupId: string, how: "append" | "flush"): () => void {
  const p = partitionForGroup(groupId, 50);
  const log = broker.services.partitionLog("__consumer_offsets", p) as PartitionLog;
  const original = log[how].bind(log);
  (log as unknown as Record<string, unknown>)[how] = () =>
    Promise.reject(Object.assign(new Error("injected I/O error"), { code: "KAFKA_STORAGE_ERROR" }));
  return () => {
    (log as unknown as Record<string, unknown>)[how] = original;
  };
}

/** OffsetFetch once the partition has reloaded (no more COORDINATOR_LOAD_IN_PROGRESS, 14). */
function untilLoaded(groupId: string): Promise<{ errorCode: number; offsets: bigint[] }> {
  return until(
    async () => {
      const f = await fetchOffsets(groupId);
      return f.errorCode !== 14 ? f : undefined;
    },
    { what: `__consumer_offsets to finish reloading group ${groupId}`, timeoutMs: 5_000, intervalMs: 5 },
  );
}

describe("__consumer_offsets write failure", () => {
  it("answers OffsetCommit with COORDINATOR_NOT_AVAILABLE and keeps the previous committed offset", async () => {
    expect(await commit("wf-g", 10n)).toEqual([0, 0]);
    const restore = breakLog("wf-g", "append");
    try {
      expect(await commit("wf-g", 20n)).toEqual([COORDINATOR_NOT_AVAILABLE, COORDINATOR_NOT_AVAILABLE]);
    } finally {
      restore();
    }
    expect(await untilLoaded("wf-g")).toEqual({ errorCode: 0, offsets: [10n, 10n] });
    // The coordinator works again once the log does.
    expect(await commit("wf-g", 30n)).toEqual([0, 0]);
    expect(await fetchOffsets("wf-g")).toEqual({ errorCode: 0, offsets: [30n, 30n] });
  });

  it("fails a SyncGroup whose fsync failed; the rebuilt shard matches the log and the member rejoins", async () => {
    const groupId = "wf-join";
    const joinReq = (memberId = "") =>
      conn.request<JoinGroupResponse>(
        11,
        {
          groupId,
          sessionTimeoutMs: 6000,
          rebalanceTimeoutMs: 6000,
          memberId,
          groupInstanceId: null,
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: Buffer.alloc(0) }],
          reason: null,
        },
        { apiVersion: 3 },
      );
    const joined = await joinReq();
    expect(joined.errorCode).toBe(0);
    const restore = breakLog(groupId, "flush");
    let synced: SyncGroupResponse;
    try {
      // The leader's SyncGroup makes the group Stable and writes its metadata: that write fails.
      synced = await conn.request<SyncGroupResponse>(
        14,
        {
          groupId,
          generationId: joined.generationId,
          memberId: joined.memberId,
          assignments: [{ memberId: joined.memberId, assignment: Buffer.from([1]) }],
        },
        { apiVersion: 2 },
      );
    } finally {
      restore();
    }
    expect(synced.errorCode).toBe(COORDINATOR_NOT_AVAILABLE);
    await untilLoaded(groupId);
    // The failed flush came after the append, so the log (and the rebuilt shard) has the Stable group
    // with this member: it rejoins under its id (a new member would wait for it until the rebalance timeout).
    const again = await joinReq(joined.memberId);
    expect(again.errorCode).toBe(0);
    const ok = await conn.request<SyncGroupResponse>(
      14,
      {
        groupId,
        generationId: again.generationId,
        memberId: again.memberId,
        assignments: [{ memberId: again.memberId, assignment: Buffer.from([2]) }],
      },
      { apiVersion: 2 },
    );
    expect(ok.errorCode).toBe(0);
    expect([...ok.assignment]).toEqual([2]);
  });
});
