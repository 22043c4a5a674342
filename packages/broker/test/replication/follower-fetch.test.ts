// Followers copy their leaders over real sockets: a 3-node in-process cluster, a topic with
// replication factor 3, records produced to the leaders; every node's partition directory ends up
// with the same log end offset and byte-identical segment files (batches appended verbatim).
import { Admin, Producer } from "@gregor/client";
import { describe, expect, it } from "vitest";
import { startCluster } from "../../src/index.js";
import { TEST_TIMEOUTS, until } from "../cluster/harness.js";
import { segmentBytes } from "./follower-helpers.js";

describe("replica fetchers (in-process cluster)", () => {
  it("replicate every partition to every replica byte for byte", async () => {
    const cluster = await startCluster({ nodes: 3, mode: "in-process", config: TEST_TIMEOUTS });
    const admin = new Admin({ bootstrapBrokers: cluster.bootstrap.split(","), clientId: "follower-fetch" });
    const producer = new Producer({ bootstrapBrokers: cluster.bootstrap.split(","), acks: 1, lingerMs: 2 });
    try {
      const topic = "replicated";
      await admin.createTopics([{ topic, numPartitions: 2, replicationFactor: 3 }]);
      const total = 4000;
      for (let i = 0; i < total; i += 200) {
        const batch = Array.from({ length: 200 }, (_, j) => ({ key: `k${(i + j) % 7}`, value: `value-${i + j}` }));
        await producer.send(topic, batch);
      }
      for (const p of [0, 1]) {
        await until(
          `partition ${p} identical on nodes 1, 2 and 3`,
          async () => {
            const [a, b, c] = await Promise.all([1, 2, 3].map((id) => segmentBytes(cluster, id, topic, p)));
            return a!.length > 0 && a!.equals(b!) && a!.equals(c!) ? a : undefined;
          },
          30_000,
        );
      }
      const [t] = await admin.describeTopics([topic]);
      expect(t!.partitions.every((p) => p.isr.length === 3)).toBe(true);
    } finally {
      await producer.close();
      await admin.close();
      await cluster.close();
    }
  });
});
