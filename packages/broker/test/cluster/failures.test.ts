// The quorum under failures: restart of every node, loss of the majority, garbage on the
// controller port, a crashed broker's connection (fast fencing).
import { readdir } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { Connection } from "@gregor/client";
import { type ApiVersionsResponse, type CreateTopicsResponse, decodeResponseFrame } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { ControllerChannel } from "../../src/cluster/controller-channel.js";
import { RawClient, rawFrame } from "../helpers/raw-client.js";
import {
  CREATE_TOPICS,
  createTopicsRequest,
  NOT_CONTROLLER,
  startTestCluster,
  topicsNotController,
  until,
} from "./harness.js";

describe("cluster failures", () => {
  it("restart of all nodes gives the same image (topics, epochs >= before), also from a snapshot", async () => {
    // A snapshot every 64 entries (the runtime's floor), so 80 topics force at least one.
    const cluster = await startTestCluster([1, 2, 3], { "metadata.log.max.record.bytes.between.snapshots": 1 });
    try {
      const leader = await cluster.activeController();
      await cluster.allUnfenced();
      for (let i = 0; i < 80; i++) {
        const res = await leader.sendToController<CreateTopicsResponse>(
          CREATE_TOPICS,
          createTopicsRequest(`r${i}`, 2, 2),
          {
            isNotController: topicsNotController,
          },
        );
        expect(res.topics[0]!.errorCode).toBe(0);
      }
      await until("every node applied the 80 topics", () =>
        [...cluster.nodes.values()].every((n) => n.image().topics.byName.size === 80),
      );
      const before = leader.image();
      for (const id of cluster.ids) {
        const files = await readdir(join(cluster.root, `node-${id}`, "__cluster_metadata-0"));
        expect(files.some((f) => f.endsWith(".snapshot"))).toBe(true);
      }
      for (const id of cluster.ids) await cluster.stop(id);
      await Promise.all(cluster.ids.map((id) => cluster.start(id)));
      await cluster.activeController();
      for (const node of cluster.nodes.values()) {
        await until(`node ${node.nodeId} replayed its log`, () => node.image().topics.byName.size === 80);
        for (const [name, topic] of before.topics.byName) {
          const after = node.image().topics.byName.get(name)!;
          expect(after.topicId).toBe(topic.topicId);
          topic.partitions.forEach((p, i) => {
            expect(after.partitions[i]!.replicas).toEqual(p.replicas);
            expect(after.partitions[i]!.leaderEpoch).toBeGreaterThanOrEqual(p.leaderEpoch);
          });
        }
      }
    } finally {
      await cluster.close();
    }
  });

  it("without a majority a write fails with a retriable error within the request timeout", async () => {
    const cluster = await startTestCluster();
    try {
      const leader = await cluster.activeController();
      // Every broker unfenced first, so the write below has records to commit (RF 1 fits).
      await cluster.allUnfenced();
      const others = cluster.ids.filter((id) => id !== leader.nodeId);
      for (const id of others) await cluster.stop(id);
      const requestTimeoutMs = leader.settings.requestTimeoutMs;
      const c = await Connection.connect({ host: "127.0.0.1", port: leader.controllerPort!, clientId: "test" });
      try {
        const started = performance.now();
        const res = await c.request<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("lonely", 1, 1));
        expect(res.topics[0]!.errorCode).toBe(NOT_CONTROLLER);
        expect(performance.now() - started).toBeLessThan(requestTimeoutMs + 1000);
      } finally {
        c.close();
      }
      // Through a channel with a deadline: the last answer (NOT_CONTROLLER) or a retriable error.
      const channel = new ControllerChannel({ voters: leader.settings.voters, clientId: "test", requestTimeoutMs });
      try {
        const started = performance.now();
        const outcome = await channel
          .send<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("lonely", 1, 1), {
            timeoutMs: requestTimeoutMs,
            isNotController: topicsNotController,
          })
          .then(
            (r) => r.topics[0]!.errorCode,
            (e: { errorCode?: number }) => e.errorCode,
          );
        expect(outcome).toBe(NOT_CONTROLLER);
        expect(performance.now() - started).toBeLessThan(requestTimeoutMs + 1000);
      } finally {
        channel.close();
      }
    } finally {
      await cluster.close();
    }
  });

  it("garbage on the controller port closes that connection only", async () => {
    const cluster = await startTestCluster();
    try {
      const leader = await cluster.activeController();
      await cluster.allUnfenced();
      const good = await Connection.connect({ host: "127.0.0.1", port: leader.controllerPort!, clientId: "test" });
      for (const garbage of [
        Buffer.from([0, 0, 0, 4, 1, 2, 3, 4]), // shorter than a request header
        Buffer.from([0x7f, 0xff, 0xff, 0xff]), // a frame over socket.request.max.bytes
        Buffer.concat([Buffer.from([0, 0, 0, 14, 0x7f, 0xbc, 0, 0, 0, 0, 0, 1, 0xff, 0xff]), Buffer.from("junk")]), // raft key, not msgpack
      ]) {
        const closed = await new Promise<boolean>((resolve) => {
          const s = connect({ host: "127.0.0.1", port: leader.controllerPort! }, () => s.write(garbage));
          s.on("close", () => resolve(true));
          s.on("error", () => {});
          setTimeout(() => resolve(false), 5000);
        });
        expect(closed).toBe(true);
      }
      // An API the controller does not serve (Produce) closes the connection, as Kafka does.
      const produce = await RawClient.connect(leader.controllerPort!);
      produce.writeRaw(rawFrame(0, 9, 1));
      await produce.waitClosed();
      // A too-new ApiVersions gets UNSUPPORTED_VERSION with the key list in a v0 body (KIP-511).
      const tooNew = await RawClient.connect(leader.controllerPort!);
      tooNew.writeRaw(rawFrame(18, 99, 7));
      await until("the v0 ApiVersions answer", () => tooNew.frames.length > 0);
      const v0 = decodeResponseFrame<ApiVersionsResponse>(tooNew.frames[0]!, 18, 0).body;
      expect(v0.errorCode).toBe(35);
      expect(v0.apiKeys.some((k) => k.apiKey === 62)).toBe(true);
      tooNew.close();
      const res = await good.request<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("after-garbage", 1, 1));
      expect(res.topics[0]!.errorCode).toBe(0);
      good.close();
      expect(leader.quorumStatus()!.isLeader).toBe(true);
    } finally {
      await cluster.close();
    }
  });

  it("a broker whose controller connection closes is fenced after the grace, long before its session timeout", async () => {
    const cluster = await startTestCluster([1, 2, 3], {
      "broker.session.timeout.ms": 60_000,
      "gregor.controller.connection.grace.ms": 200,
    });
    try {
      const leader = await cluster.activeController();
      for (const node of cluster.nodes.values()) expect(await node.lifecycle!.waitUnfenced(10_000)).toBe(true);
      const victim = [...cluster.nodes.values()].find((n) => n !== leader)!;
      // A crash: heartbeats stop and the socket closes (no controlled shutdown).
      await victim.lifecycle!.close();
      victim.channel!.close();
      const started = Date.now();
      await until("the victim fenced", () => leader.image().brokers.get(victim.nodeId)?.fenced === true, 20_000);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await cluster.close();
    }
  });
});
