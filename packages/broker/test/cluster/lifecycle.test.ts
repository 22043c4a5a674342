// The broker side of the controller channel: following a non-leader's hint to the active
// controller, and controlled shutdown (leaderships move away before the controller says go).
import { Connection } from "@gregor/client";
import type { CreateTopicsResponse } from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerChannel } from "../../src/cluster/controller-channel.js";
import {
  CREATE_TOPICS,
  createTopicsRequest,
  startTestCluster,
  type TestCluster,
  topicsNotController,
  until,
} from "./harness.js";

describe("controller channel and broker lifecycle", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
    await cluster.activeController();
    await cluster.allUnfenced();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("a channel that starts at a follower follows its DescribeQuorum hint to the active controller", async () => {
    const leader = await cluster.activeController();
    const voters = leader.settings.voters;
    // Start at the voter after the leader: without the hint, the next try would be the other follower.
    const followerIndex = (voters.findIndex((v) => v.id === leader.nodeId) + 1) % voters.length;
    const channel = new ControllerChannel({
      voters,
      clientId: "test",
      requestTimeoutMs: 1500,
      random: () => followerIndex / voters.length,
    });
    try {
      const res = await channel.send<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("hinted", 1, 1), {
        isNotController: topicsNotController,
      });
      expect(res.topics[0]!.errorCode).toBe(0);
      expect(channel.activeControllerId).toBe(leader.nodeId);
      expect(channel.stats).toEqual({ connects: 2, notController: 1, hintsFollowed: 1 });
    } finally {
      channel.close();
    }
  });

  it("controlled shutdown moves the broker's leaderships away before shouldShutDown", async () => {
    const leader = await cluster.activeController();
    const res = await leader.sendToController<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("cs", 6, 3), {
      isNotController: topicsNotController,
    });
    expect(res.topics[0]!.errorCode).toBe(0);
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    await until("the follower leads a partition of cs", () =>
      follower
        .image()
        .topics.byName.get("cs")
        ?.partitions.some((p) => p.leader === follower.nodeId),
    );
    expect(await follower.lifecycle!.controlledShutdown(10_000)).toBe(true);
    for (const node of cluster.nodes.values()) {
      await until(`node ${node.nodeId} sees the follower lead nothing`, () => {
        const partitions = node.image().topics.byName.get("cs")!.partitions;
        return partitions.every((p) => p.leader !== follower.nodeId && p.leader !== -1);
      });
      expect(node.image().brokers.get(follower.nodeId)!.inControlledShutdown).toBe(true);
    }
  });
});

describe("nodes on their own loopback addresses", () => {
  it("each node binds 127.0.0.(10+N) exactly; the quorum forms and writes commit", async () => {
    const cluster = await startTestCluster([1, 2, 3], {}, [], (id) => `127.0.0.${10 + id}`);
    try {
      const leader = await cluster.activeController();
      await cluster.allUnfenced();
      expect(leader.settings.controllerListener!.host).toBe(`127.0.0.${10 + leader.nodeId}`);
      const res = await leader.sendToController<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("lo", 3, 3), {
        isNotController: topicsNotController,
      });
      expect(res.topics[0]!.errorCode).toBe(0);
      for (const n of cluster.nodes.values())
        await until(`node ${n.nodeId} sees lo`, () => n.image().topics.byName.get("lo"));
      // The CONTROLLER listener is bound to the node's address only.
      const other = await Connection.connect({ host: "127.0.0.1", port: leader.controllerPort!, clientId: "t" }).then(
        (c) => {
          c.close();
          return "connected";
        },
        () => "refused",
      );
      expect(other).toBe("refused");
    } finally {
      await cluster.close();
    }
  });
});
