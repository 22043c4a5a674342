// kill -9 of a broker process (not the active controller): its partitions get new leaders from the
// ISR at leader epoch + 1 on every surviving node, kcat keeps producing to them, and a replication
// factor above the live brokers fails. Then every node is killed and restarted on its data: same
// topics, same replicas, leader epochs the same or higher.
import { describe, expect, it } from "vitest";
import { until } from "../cluster/harness.js";
import { run } from "../helpers/run.js";
import { addressOf, bin, createTopicOn, suiteCluster, topicOn } from "./helpers.js";

const SESSION_SLACK_MS = 10_000; // broker.session.timeout.ms is 1.5 s here

describe("broker failover, real processes", () => {
  const cluster = suiteCluster();

  it("kill -9 of a broker: its partitions move to ISR members (epoch + 1) and kcat keeps producing to them", async () => {
    const c = cluster();
    const controllerId = await until("an active controller", async () => {
      const id = await c.activeControllerId();
      return id > 0 ? id : undefined;
    });
    expect((await createTopicOn(c.node(controllerId), "orders", 6, 2)).errorCode).toBe(0);
    for (const node of c.nodes) await until(`node ${node.id} knows orders`, () => topicOn(node, "orders"));
    const before = await topicOn(c.node(controllerId), "orders");
    const victim = c.nodes.find((n) => n.id !== controllerId)!;
    const led = before.partitions.filter((p) => p.leaderId === victim.id);
    expect(led.length).toBeGreaterThan(0);
    await victim.kill();
    const survivors = c.nodes.filter((n) => n !== victim);
    for (const node of survivors) {
      const after = await until(
        `node ${node.id} shows new leaders for node ${victim.id}'s partitions`,
        async () => {
          const t = await topicOn(node, "orders");
          return led.every((p) => t.partitions[p.partitionIndex]!.leaderId !== victim.id) ? t : undefined;
        },
        SESSION_SLACK_MS,
      );
      for (const p of led) {
        const now = after.partitions[p.partitionIndex]!;
        expect(p.isrNodes).toContain(now.leaderId);
        expect(now.leaderEpoch).toBe((p.leaderEpoch ?? 0) + 1);
        expect(now.isrNodes).not.toContain(victim.id);
      }
    }
    const bootstrap = survivors.map(addressOf).join(",");
    for (const p of led) {
      const value = `after-failover-${p.partitionIndex}`;
      const produced = await run(
        "kcat",
        ["-P", "-b", bootstrap, "-t", "orders", "-p", String(p.partitionIndex), "-X", "message.timeout.ms=15000"],
        { input: `${value}\n`, timeoutMs: 20_000 },
      );
      expect(produced.code).toBe(0);
      const consumed = await run(
        "kcat",
        ["-C", "-b", bootstrap, "-t", "orders", "-p", String(p.partitionIndex), "-o", "beginning", "-e", "-q"],
        { timeoutMs: 20_000 },
      );
      expect(consumed.code).toBe(0);
      expect(consumed.stdout.split("\n")).toContain(value);
    }
    // Two live brokers: a third replica cannot be placed.
    const tooMany = await bin("kafka-topics.sh", [
      "--create",
      "--topic",
      "three-replicas",
      "--replication-factor",
      "3",
      "--partitions",
      "1",
      "--bootstrap-server",
      bootstrap,
    ]);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain("INVALID_REPLICATION_FACTOR");
    await victim.restart();
    await c.waitForBrokers(30_000);
  });

  it("kill -9 of every node, then restart on the same data: same topics and replicas, leader epochs >= before", async () => {
    const c = cluster();
    const node1 = c.node(1);
    const created = await until("CreateTopics kept", async () => {
      const r = await createTopicOn(node1, "kept", 3, 2);
      return r.errorCode === 0 ? r : undefined;
    });
    expect(created.errorCode).toBe(0);
    await until("kept on node 1", () => topicOn(node1, "kept"));
    const before = new Map(await Promise.all(["kept"].map(async (t) => [t, await topicOn(node1, t)] as const)));
    await Promise.all(c.nodes.map((n) => n.kill()));
    await Promise.all(c.nodes.map((n) => n.restart()));
    await c.waitForBrokers(30_000);
    for (const node of c.nodes) {
      for (const [name, was] of before) {
        const now = await until(`node ${node.id} knows ${name} after the restart`, () => topicOn(node, name));
        expect(now.topicId).toBe(was.topicId);
        expect(now.partitions).toHaveLength(was.partitions.length);
        for (const p of was.partitions) {
          const q = now.partitions[p.partitionIndex]!;
          expect(q.replicaNodes).toEqual(p.replicaNodes);
          expect(q.leaderEpoch ?? 0).toBeGreaterThanOrEqual(p.leaderEpoch ?? 0);
        }
      }
    }
  });
});
