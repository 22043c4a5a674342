// The seed's commands on three combined nodes started as OS processes: kafka-topics.sh --create
// --replication-factor 2 on any node, --describe shows leaders on different brokers, kcat -L lists
// every broker; a replication factor above the live brokers fails with Kafka's error.
import { describe, expect, it } from "vitest";
import { until } from "../cluster/harness.js";
import { run } from "../helpers/run.js";
import { addressOf, bin, suiteCluster, topicOn } from "./helpers.js";

describe("topics on 3 processes", () => {
  const cluster = suiteCluster();

  it("kafka-topics.sh --create test-topic (3 partitions, RF 2) on any node; --describe shows leaders on different brokers", async () => {
    const c = cluster();
    const create = await bin("kafka-topics.sh", [
      "--create",
      "--topic",
      "test-topic",
      "--partitions",
      "3",
      "--replication-factor",
      "2",
      "--bootstrap-server",
      addressOf(c.node(2)),
    ]);
    expect(create.stderr).toBe("");
    expect(create.stdout).toBe("Created topic test-topic.\n");
    expect(create.code).toBe(0);
    // Every node learns the topic from the metadata log.
    for (const node of c.nodes) await until(`node ${node.id} knows test-topic`, () => topicOn(node, "test-topic"));
    const describe = await bin("kafka-topics.sh", [
      "--describe",
      "--topic",
      "test-topic",
      "--bootstrap-server",
      addressOf(c.node(3)),
    ]);
    expect(describe.code).toBe(0);
    const rows = [...describe.stdout.matchAll(/Partition: (\d+)\tLeader: (\d+)\tReplicas: ([\d,]+)\tIsr: ([\d,]+)/g)];
    expect(rows).toHaveLength(3);
    const leaders = rows.map((r) => Number(r[2]));
    expect(new Set(leaders).size).toBe(3);
    for (const r of rows) {
      const replicas = r[3]!.split(",").map(Number);
      expect(replicas).toHaveLength(2);
      expect(new Set(replicas).size).toBe(2);
      expect(replicas).toContain(Number(r[2]));
      expect(r[4]!.split(",").map(Number).sort()).toEqual([...replicas].sort());
    }
  });

  it("kcat -L lists all three brokers from any node", async () => {
    const c = cluster();
    for (const node of c.nodes) {
      const r = await run("kcat", ["-L", "-J", "-b", addressOf(node)], { timeoutMs: 20_000 });
      expect(r.code).toBe(0);
      const md = JSON.parse(r.stdout) as { brokers: { id: number; name: string }[]; controllerid: number };
      expect(md.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
      expect(md.brokers.map((b) => b.name).sort()).toEqual(c.nodes.map(addressOf).sort());
      expect([1, 2, 3]).toContain(md.controllerid);
    }
  });

  it("--replication-factor above the live brokers fails with INVALID_REPLICATION_FACTOR and creates nothing", async () => {
    const c = cluster();
    const r = await bin("kafka-topics.sh", [
      "--create",
      "--topic",
      "too-many-replicas",
      "--partitions",
      "1",
      "--replication-factor",
      "4",
      "--bootstrap-server",
      c.bootstrap,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error while executing topic command");
    expect(r.stderr).toContain("INVALID_REPLICATION_FACTOR");
    expect(r.stderr).toContain("replication factor of 4 cannot be reached because only 3 broker(s) are registered");
    const list = await bin("kafka-topics.sh", ["--list", "--bootstrap-server", c.bootstrap]);
    expect(list.stdout).not.toContain("too-many-replicas");
  });
});
