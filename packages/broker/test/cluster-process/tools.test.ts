// Kafka's tools against three combined nodes as OS processes: kafka-metadata-quorum.sh describe
// --status / --replication name the active controller and the three voters; kafka-topics.sh
// --describe's filters (under-replicated, unavailable, under min ISR) find what a kill -9 left.
import { describe, expect, it } from "vitest";
import { until } from "../cluster/harness.js";
import { addressOf, bin, createTopicOn, suiteCluster, topicOn } from "./helpers.js";

describe("tools on 3 processes", () => {
  const cluster = suiteCluster();

  it("kafka-metadata-quorum.sh describe --status: the active controller leads, 3 voters with their CONTROLLER endpoints", async () => {
    const c = cluster();
    const leader = await until("an active controller", async () => {
      const id = await c.activeControllerId();
      return id > 0 ? id : undefined;
    });
    for (const node of c.nodes) {
      const r = await bin("kafka-metadata-quorum.sh", ["--bootstrap-server", addressOf(node), "describe", "--status"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`ClusterId:              ${c.clusterId}\n`);
      expect(r.stdout).toContain(`LeaderId:               ${leader}\n`);
      const voters = /CurrentVoters: +(\[.*\])\n/.exec(r.stdout)?.[1];
      const parsed = JSON.parse(voters ?? "null") as { id: number; endpoints: string[] }[];
      expect(parsed.map((v) => v.id)).toEqual([1, 2, 3]);
      for (const v of parsed) {
        const n = c.node(v.id);
        expect(v.endpoints).toEqual([`CONTROLLER://${n.host}:${n.controllerPort}`]);
      }
    }
  });

  it("kafka-metadata-quorum.sh describe --replication: one Leader and two Followers", async () => {
    const c = cluster();
    const r = await bin("kafka-metadata-quorum.sh", ["--bootstrap-server", c.bootstrap, "describe", "--replication"]);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => l.split("\t").map((x) => x.trim()));
    expect(rows.map((x) => x[0]).sort()).toEqual(["1", "2", "3"]);
    expect(rows.map((x) => x[5])).toEqual(["Leader", "Follower", "Follower"]);
    expect(rows[0]![0]).toBe(String(await c.activeControllerId()));
  });

  it("kafka-topics.sh --describe filters: nothing while all run; after kill -9 of a broker its partitions show up", async () => {
    const c = cluster();
    const controllerId = await c.activeControllerId();
    const entry = c.node(controllerId);
    expect((await createTopicOn(entry, "rf2", 3, 2)).errorCode).toBe(0);
    expect((await createTopicOn(entry, "rf1", 3, 1)).errorCode).toBe(0);
    const describeWith = async (flag: string) => {
      const r = await bin("kafka-topics.sh", ["--describe", `--${flag}`, "--bootstrap-server", addressOf(entry)]);
      expect(r.code).toBe(0);
      return r.stdout;
    };
    const flags = ["under-replicated-partitions", "unavailable-partitions", "under-min-isr-partitions"];
    for (const flag of flags) expect(await describeWith(flag)).toBe("");
    const victim = c.nodes.find((n) => n.id !== controllerId)!;
    const rf2 = await topicOn(entry, "rf2");
    const rf1 = await topicOn(entry, "rf1");
    await victim.kill();
    await until("the victim fenced (out of every ISR)", async () => {
      const t = await topicOn(entry, "rf2");
      return t.partitions.every((p) => !p.isrNodes.includes(victim.id));
    });
    const partitionsOf = (out: string, topic: string) =>
      [...out.matchAll(new RegExp(`Topic: ${topic}\\tPartition: (\\d+)`, "g"))].map((m) => Number(m[1]));
    const underReplicated = await describeWith("under-replicated-partitions");
    const expectedRf2 = rf2.partitions.filter((p) => p.replicaNodes.includes(victim.id)).map((p) => p.partitionIndex);
    expect(expectedRf2.length).toBeGreaterThan(0);
    expect(partitionsOf(underReplicated, "rf2")).toEqual(expectedRf2);
    expect(underReplicated).not.toContain("Topic: rf2\tTopicId"); // filtered: partition lines only
    const unavailable = await describeWith("unavailable-partitions");
    const expectedRf1 = rf1.partitions.filter((p) => p.leaderId === victim.id).map((p) => p.partitionIndex);
    expect(expectedRf1.length).toBeGreaterThan(0);
    expect(partitionsOf(unavailable, "rf1")).toEqual(expectedRf1);
    expect(unavailable).toContain("Leader: none");
    expect(partitionsOf(unavailable, "rf2")).toEqual([]);
    // min.insync.replicas=1 here: a one-member ISR is not under it, until the topic asks for 2.
    expect(partitionsOf(await describeWith("under-min-isr-partitions"), "rf2")).toEqual([]);
    const alter = await bin("kafka-configs.sh", [
      "--bootstrap-server",
      addressOf(entry),
      "--alter",
      "--entity-type",
      "topics",
      "--entity-name",
      "rf2",
      "--add-config",
      "min.insync.replicas=2",
    ]);
    expect(alter.code).toBe(0);
    const underMinIsr = await until("min.insync.replicas=2 applied", async () => {
      const out = await describeWith("under-min-isr-partitions");
      return partitionsOf(out, "rf2").length > 0 ? out : undefined;
    });
    expect(partitionsOf(underMinIsr, "rf2")).toEqual(expectedRf2);
  });
});
