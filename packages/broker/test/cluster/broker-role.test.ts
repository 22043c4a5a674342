// startBroker with process.roles=broker next to three controller-only nodes (Kafka's isolated
// mode): the broker registers, replays the metadata log it fetches from the active controller,
// and serves topics from that image — Metadata lists it alone (controllers are not brokers) and
// names it as the controller clients send admin requests to, which it forwards to the active one.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type ClusterNode, startClusterNode } from "../../src/cluster/cluster-node.js";
import { type Broker, startBroker } from "../../src/index.js";
import { formatStorage, newClusterId } from "../../src/metadata/meta-properties.js";
import { run } from "../helpers/run.js";
import { nodeConfigs } from "./harness.js";

describe("a broker-only node started with startBroker", () => {
  it("serves topics placed and led by the controllers' image", async () => {
    const root = await mkdtemp(join(tmpdir(), "gregor-broker-role-"));
    const clusterId = newClusterId();
    const configs = await nodeConfigs(root, [1, 2, 3, 4], { "gregor.admin.port": 0 }, [4]);
    for (const id of [1, 2, 3, 4]) await formatStorage({ dirs: [join(root, `node-${id}`)], clusterId, nodeId: id });
    const controllers: ClusterNode[] = [];
    let broker: Broker | null = null;
    try {
      controllers.push(
        ...(await Promise.all([1, 2, 3].map((id) => startClusterNode(configs.get(id)!, { clusterId })))),
      );
      broker = await startBroker({ brokerConfig: configs.get(4)!, clusterId, readyTimeoutMs: 30_000 });
      expect(broker.cluster.lifecycle?.isFenced).toBe(false);
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        expect(await admin.createTopics({ topics: [{ topic: "isolated", numPartitions: 2 }] })).toBe(true);
      } finally {
        await admin.disconnect();
      }
      expect(broker.services.topics.get("isolated")?.partitions.map((p) => p.leader)).toEqual([4, 4]);
      const md = JSON.parse((await run("kcat", ["-b", broker.bootstrap, "-L", "-J"])).stdout);
      expect(md.brokers.map((b: { id: number }) => b.id)).toEqual([4]);
      // Clients send admin requests to the controller id: KRaft brokers name a live broker (KIP-590).
      expect(md.controllerid).toBe(4);
      const produced = await run("kcat", ["-b", broker.bootstrap, "-P", "-t", "isolated", "-p", "1"], {
        input: "a\nb\n",
      });
      expect(produced.code).toBe(0);
      const consumed = await run("kcat", ["-b", broker.bootstrap, "-C", "-t", "isolated", "-p", "1", "-e", "-q"]);
      expect(consumed.stdout.split("\n").filter((l) => l !== "")).toEqual(["a", "b"]);
    } finally {
      await broker?.close();
      await Promise.all(controllers.map((c) => c.close()));
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
