// The metadata quorum over the CONTROLLER listener: 3 combined nodes in one process on 127.0.0.1
// (real sockets, real data dirs). Election, registration and unfencing, writes forwarded to the
// active controller, failover, fencing, DescribeQuorum.
import { Connection } from "@gregor/client";
import type { CreateTopicsResponse, DescribeQuorumResponse } from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClusterNode } from "../../src/cluster/cluster-node.js";
import {
  CREATE_TOPICS,
  createTopicsRequest,
  NOT_CONTROLLER,
  startTestCluster,
  type TestCluster,
  topicsNotController,
  until,
} from "./harness.js";

function controllerConnection(node: ClusterNode): Promise<Connection> {
  return Connection.connect({ host: "127.0.0.1", port: node.controllerPort!, clientId: "test" });
}

describe("3 controller nodes in one process", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("elects one active controller and every broker registers and is unfenced", async () => {
    const leader = await cluster.activeController();
    expect(cluster.ids).toContain(leader.nodeId);
    for (const node of cluster.nodes.values()) {
      await until(`node ${node.nodeId} sees 3 unfenced brokers`, () => {
        const brokers = [...node.image().brokers.values()];
        return brokers.length === 3 && brokers.every((b) => !b.fenced);
      });
      expect(await node.lifecycle!.waitUnfenced(10_000)).toBe(true);
      expect(node.image().features.get("metadata.version")).toBeGreaterThan(0);
    }
  });

  it("DescribeQuorum on the controller listener names the leader, its epoch and the voters", async () => {
    const leader = await cluster.activeController();
    const c = await controllerConnection(leader);
    try {
      const res = await c.request<DescribeQuorumResponse>(55, {
        topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }],
      });
      const p = res.topics[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.leaderId).toBe(leader.nodeId);
      expect(p.leaderEpoch).toBeGreaterThan(0);
      expect(p.highWatermark).toBeGreaterThan(0n);
      expect(p.currentVoters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3]);
      for (const v of p.currentVoters) expect(v.logEndOffset).toBeGreaterThan(0n);
    } finally {
      c.close();
    }
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const fromBroker = await follower.describeQuorum({
      topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }],
    });
    expect(fromBroker.topics[0]!.partitions[0]!.leaderId).toBe(leader.nodeId);
  });

  it("a non-leader answers CreateTopics with NOT_CONTROLLER; a channel reaches the active controller", async () => {
    const leader = await cluster.activeController();
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const direct = await controllerConnection(follower);
    try {
      const res = await direct.request<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("direct"));
      expect(res.topics[0]!.errorCode).toBe(NOT_CONTROLLER);
    } finally {
      direct.close();
    }
    const res = await follower.sendToController<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("t1"), {
      isNotController: topicsNotController,
    });
    expect(res.topics[0]!.errorCode).toBe(0);
    for (const node of cluster.nodes.values()) {
      const topic = await until(`node ${node.nodeId} sees t1`, () => node.image().topics.byName.get("t1"));
      expect(topic.partitions.length).toBe(3);
      for (const p of topic.partitions) {
        expect(p.replicas.length).toBe(2);
        expect(p.replicas).toContain(p.leader);
      }
    }
  });

  it("a broker that stops heartbeating is fenced and its partitions get new leaders on every node", async () => {
    const leader = await cluster.activeController();
    const topic = leader.image().topics.byName.get("t1")!;
    // Stop a follower's heartbeats but keep its connection open: only the session timeout fences it.
    const victim = [...cluster.nodes.values()].find(
      (n) => n !== leader && topic.partitions.some((p) => p.leader === n.nodeId),
    );
    expect(victim).toBeDefined();
    const led = topic.partitions.filter((p) => p.leader === victim!.nodeId);
    await victim!.lifecycle!.close();
    for (const node of cluster.nodes.values()) {
      await until(
        `node ${node.nodeId} sees broker ${victim!.nodeId} fenced`,
        () => node.image().brokers.get(victim!.nodeId)?.fenced === true,
      );
      const now = node.image().topics.byName.get("t1")!;
      for (const before of led) {
        const after = now.partitions[before.partitionId]!;
        expect(after.leader).not.toBe(victim!.nodeId);
        expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
        expect(after.isr).not.toContain(victim!.nodeId);
      }
    }
  });

  it("closing the active controller's node: a new one is elected and writes work again", async () => {
    const leader = await cluster.activeController();
    await cluster.stop(leader.nodeId);
    const next = await cluster.activeController();
    expect(next.nodeId).not.toBe(leader.nodeId);
    const survivor = [...cluster.nodes.values()].find((n) => n.lifecycle !== null && n.nodeId !== next.nodeId) ?? next;
    const res = await survivor.sendToController<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("t2", 2, 1), {
      isNotController: topicsNotController,
    });
    expect(res.topics[0]!.errorCode).toBe(0);
    for (const node of cluster.nodes.values())
      await until(`node ${node.nodeId} sees t2`, () => node.image().topics.byName.get("t2"));
  });
});
