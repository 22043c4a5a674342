// startCluster({ mode: "in-process" }): the same three combined nodes (same server.properties and
// overrides, formatted with formatStorage) as startBroker() calls in this process.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Admin } from "@gregor/client";
import { describe, expect, it } from "vitest";
import { startCluster } from "../../src/index.js";
import { TEST_TIMEOUTS, until } from "../cluster/harness.js";

describe("startCluster in-process", () => {
  it("starts 3 nodes that list each other, names the active controller, restarts a node on its data, closes", async () => {
    const cluster = await startCluster({ nodes: 3, mode: "in-process", config: TEST_TIMEOUTS });
    const admin = new Admin({ bootstrapBrokers: cluster.bootstrap.split(","), clientId: "in-process-test" });
    try {
      expect(cluster.mode).toBe("in-process");
      expect(cluster.nodes.map((n) => n.id)).toEqual([1, 2, 3]);
      expect(cluster.nodes.every((n) => n.running && n.pid === null)).toBe(true);
      for (const n of cluster.nodes) expect(existsSync(join(n.dataDir, "meta.properties"))).toBe(true);
      const d = await admin.describeCluster();
      expect(d.clusterId).toBe(cluster.clusterId);
      expect(d.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect([1, 2, 3]).toContain(await cluster.activeControllerId());
      await admin.createTopics([{ topic: "in-process", numPartitions: 3, replicationFactor: 2 }]);
      const node = cluster.node(2);
      await node.restart();
      expect(node.running).toBe(true);
      await cluster.waitForBrokers(30_000);
      const [topic] = await until("the topic after node 2's restart", () => admin.describeTopics(["in-process"]));
      expect(topic!.partitions).toHaveLength(3);
      expect(() => node.signal("SIGSTOP")).toThrow(/needs mode "process"/);
    } finally {
      await admin.close();
      await cluster.close();
    }
    expect(existsSync(cluster.dataDir)).toBe(false);
    expect(cluster.nodes.some((n) => n.running)).toBe(false);
  });
});
