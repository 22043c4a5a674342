// A coordinator loaded for one leader epoch of its __consumer_offsets partition writes nothing once
// the partition's epoch moved on (a new election, here or elsewhere, that its runtime has not yet
// heard of): the write is refused with NOT_COORDINATOR, so the client re-finds the coordinator,
// and the log is left as it was.
import { Connection } from "@gregor/client";
import type { FindCoordinatorResponse, OffsetCommitResponse } from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionForGroup } from "../../src/group/index.js";
import { type Broker, startBroker } from "../../src/index.js";

const NOT_COORDINATOR = 16;
const GROUP = "stale-g";

let broker: Broker;
let conn: Connection;
beforeAll(async () => {
  broker = await startBroker({ dataDir: ":memory:", port: 0, logLevel: "silent", config: { "gregor.admin.port": -1 } });
  await broker.services.internalTopic("stale-t", 1, {});
  conn = await Connection.connect({ host: "127.0.0.1", port: broker.port, clientId: "stale" });
  await conn.request<FindCoordinatorResponse>(10, { key: GROUP, keyType: 0 }, { apiVersion: 1 });
});
afterAll(async () => {
  conn?.close();
  await broker?.close();
});

function commit(offset: bigint): Promise<number> {
  return conn
    .request<OffsetCommitResponse>(
      8,
      {
        groupId: GROUP,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: "stale-t",
            partitions: [
              { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: "" },
            ],
          },
        ],
      },
      { apiVersion: 7 },
    )
    .then((r) => r.topics[0]!.partitions[0]!.errorCode);
}

describe("a coordinator of an older leader epoch", () => {
  it("cannot write: NOT_COORDINATOR, nothing appended", async () => {
    expect(await commit(5n)).toBe(0);
    const partition = broker.services.topics.partition("__consumer_offsets", partitionForGroup(GROUP, 50))!;
    const logEndOffset = partition.log!.logEndOffset;
    // What the topic table holds while an image with a new election is being applied, before the
    // coordinator's leadership listener runs.
    partition.leaderEpoch += 1;
    expect(await commit(6n)).toBe(NOT_COORDINATOR);
    expect(partition.log!.logEndOffset).toBe(logEndOffset);
  });
});
