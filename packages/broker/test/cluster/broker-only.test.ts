// A broker-only node (not a voter) next to 3 controller-only nodes: it registers over its
// ControllerChannel, replays the metadata log it fetches from the active controller (Fetch of
// __cluster_metadata-0), and loads a snapshot (FetchSnapshot) when it is too far behind.
import type { CreateTopicsResponse } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { type ClusterNode, startClusterNode } from "../../src/cluster/cluster-node.js";
import { buildBrokerConfig } from "../../src/config/broker-config.js";
import { formatStorage } from "../../src/metadata/meta-properties.js";
import {
  CREATE_TOPICS,
  createTopicsRequest,
  freePorts,
  startTestCluster,
  TEST_TIMEOUTS,
  topicsNotController,
  until,
} from "./harness.js";

describe("broker-only node", () => {
  it("knows the controllers by controller.quorum.bootstrap.servers alone (KIP-853) and registers", async () => {
    const cluster = await startTestCluster([1, 2, 3, 4], {}, [4]);
    const dir = join(cluster.root, "node-5");
    let node: ClusterNode | null = null;
    try {
      await cluster.activeController();
      const bootstrap = [1, 2, 3].map((id) => {
        const l = cluster.nodes.get(id)!.settings.controllerListener!;
        return `${l.host}:${l.port}`;
      });
      const [port] = await freePorts(1);
      await formatStorage({ dirs: [dir], clusterId: cluster.clusterId, nodeId: 5 });
      const config = buildBrokerConfig({
        "node.id": 5,
        "process.roles": "broker",
        "controller.quorum.bootstrap.servers": bootstrap.join(","),
        "controller.listener.names": "CONTROLLER",
        listeners: `PLAINTEXT://127.0.0.1:${port}`,
        "log.dirs": dir,
        ...TEST_TIMEOUTS,
      });
      node = await startClusterNode(config, { clusterId: cluster.clusterId });
      expect(await node.lifecycle!.waitUnfenced(15_000)).toBe(true);
      await until(
        "node 5 in the controllers' image",
        () => cluster.nodes.get(1)!.image().brokers.get(5)?.fenced === false,
      );
      await until("node 5 replays the log", () => node!.image().brokers.has(5));
      const leaderId = (await cluster.activeController()).nodeId;
      await until("node 5 names the active controller", () => node!.activeControllerId() === leaderId);
    } finally {
      await node?.close();
      await cluster.close();
    }
  });

  it("registers, is unfenced, and its image follows the controllers' (entries, then a snapshot)", async () => {
    // A snapshot every 64 entries (the runtime's floor): 70 topics force one.
    const cluster = await startTestCluster([1, 2, 3, 4], { "metadata.log.max.record.bytes.between.snapshots": 1 }, [4]);
    try {
      const leader = await cluster.activeController();
      const broker = cluster.nodes.get(4)!;
      expect(broker.quorumStatus()).toBeNull();
      expect(await broker.lifecycle!.waitUnfenced(15_000)).toBe(true);
      const res = await broker.sendToController<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("b1", 2, 1), {
        isNotController: topicsNotController,
      });
      expect(res.topics[0]!.errorCode).toBe(0);
      const topic = await until("the broker-only node sees b1", () => broker.image().topics.byName.get("b1"));
      expect(topic.topicId).toBe(leader.image().topics.byName.get("b1")!.topicId);
      for (let i = 0; i < 70; i++) {
        const more = await broker.sendToController<CreateTopicsResponse>(
          CREATE_TOPICS,
          createTopicsRequest(`m${i}`, 1, 1),
          {
            isNotController: topicsNotController,
          },
        );
        expect(more.topics[0]!.errorCode).toBe(0);
      }
      await until("the broker-only node sees 71 topics", () => broker.image().topics.byName.size === 71);
      const changes: boolean[] = [];
      // Restart the broker-only node after the controllers restarted: their in-memory entries start
      // after their snapshot, so it catches up from a snapshot; a subscriber sees the change.
      await cluster.stop(4);
      for (const id of [1, 2, 3]) await cluster.stop(id);
      await Promise.all([1, 2, 3].map((id) => cluster.start(id)));
      await cluster.activeController();
      const again = await cluster.start(4);
      again.publisher.subscribe((_image, change) => changes.push(change.fromSnapshot));
      await until("the restarted broker-only node sees 71 topics", () => again.image().topics.byName.size === 71);
      expect(again.image().topics.byName.get("b1")!.topicId).toBe(topic.topicId);
      expect(await again.lifecycle!.waitUnfenced(15_000)).toBe(true);
      expect(changes[0]).toBe(true); // loaded from a snapshot first
    } finally {
      await cluster.close();
    }
  });
});
