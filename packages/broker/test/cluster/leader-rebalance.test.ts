// auto.leader.rebalance.enable on a running 3-node in-process cluster: reordering a partition's
// replicas makes another broker its preferred replica while the old leader keeps leading; within
// leader.imbalance.check.interval.seconds the active controller moves leadership to it.
import { Admin } from "@gregor/client";
import { type AlterPartitionReassignmentsResponse, ApiKey } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { startCluster } from "../../src/index.js";
import { createAssignedTopic } from "./assigned-topic.js";
import { TEST_TIMEOUTS, until } from "./harness.js";

describe("automatic preferred-leader rebalance", () => {
  it("moves leadership back to the preferred replica within the check interval", async () => {
    const config = { ...TEST_TIMEOUTS, "leader.imbalance.check.interval.seconds": 1 };
    const cluster = await startCluster({ nodes: 3, mode: "in-process", config });
    const admin = new Admin({ bootstrapBrokers: cluster.bootstrap.split(","), clientId: "rebalance-test" });
    try {
      const c = await admin.cluster.anyBroker();
      expect(await createAssignedTopic(c, "bal", [[1, 2]])).toBe(0);
      await until("both replicas in the ISR", async () => {
        const [t] = await admin.describeTopics(["bal"]);
        return t?.partitions[0]?.isr.length === 2;
      });
      const r = await c.request<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, {
        timeoutMs: 10_000,
        topics: [{ name: "bal", partitions: [{ partitionIndex: 0, replicas: [2, 1] }] }],
      });
      expect(r.responses[0]?.partitions[0]?.errorCode).toBe(0);
      // The reorder keeps the leader (1 is in the ISR); 2 is now preferred and leads 0 of its 1.
      const [reordered] = await admin.describeTopics(["bal"]);
      expect(reordered?.partitions[0]).toMatchObject({ replicas: [2, 1], leader: 1 });
      const [after] = await until(
        "leader 2",
        async () => {
          const t = await admin.describeTopics(["bal"]);
          return t[0]?.partitions[0]?.leader === 2 ? t : undefined;
        },
        15_000,
      );
      expect(after?.partitions[0]?.replicas).toEqual([2, 1]);
    } finally {
      await admin.close();
      await cluster.close();
    }
  });
});
