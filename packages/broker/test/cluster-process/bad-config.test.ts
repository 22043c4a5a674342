// Nodes that must refuse to start, started as a user would (bin/ scripts, real processes): a node.id
// missing from controller.quorum.voters with the controller role, a node whose dirs were formatted
// for another cluster than the quorum's (exits non-zero with a message naming why), and a controller
// whose controller.quorum.voters disagree with the others' (refused by the quorum, which says why).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startCluster } from "../../src/index.js";
import { formatStorage, randomUuid } from "../../src/metadata/meta-properties.js";
import { TEST_TIMEOUTS } from "../cluster/harness.js";
import { bin, REPO } from "./helpers.js";

const CONFIG = join(REPO, "config/server.properties");

function overrides(pairs: Record<string, string | number>): string[] {
  return Object.entries(pairs).flatMap(([k, v]) => ["--override", `${k}=${v}`]);
}

describe("nodes that refuse to start", () => {
  it("a controller whose node.id is not in controller.quorum.voters: format and start both refuse", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gregor-bad-config-"));
    const node = overrides({
      "process.roles": "broker,controller",
      "node.id": 4,
      "controller.quorum.voters": "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097",
      listeners: "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
      "log.dirs": dir,
    });
    const expected =
      "If process.roles contains the 'controller' role, the node id 4 must be included in the set of voters controller.quorum.voters=[1, 2, 3]";
    const format = await bin("kafka-storage.sh", ["format", "-t", randomUuid(), "-c", CONFIG, ...node]);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain(expected);
    const start = await bin("kafka-server-start.sh", [CONFIG, ...node]);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(expected);
    expect(start.stderr).not.toContain("    at "); // one line, no stack trace
    await rm(dir, { recursive: true, force: true });
  });

  // Raft frames carry the cluster id: node 3 can neither vote nor lead, so it is the one refused.
  it("a cluster-id mismatch stops start-up: the broker the controller refuses (INCONSISTENT_CLUSTER_ID) exits 1", async () => {
    const clusterId = randomUuid();
    const other = randomUuid();
    const dataDir = await mkdtemp(join(tmpdir(), "gregor-bad-config-"));
    try {
      await formatStorage({ dirs: [join(dataDir, "node-3")], clusterId: other, nodeId: 3 });
      const started = startCluster({ nodes: 3, mode: "process", dataDir, clusterId, config: TEST_TIMEOUTS });
      await expect(started).rejects.toThrow(/node 3 exited with code 1 before the cluster formed/);
      await expect(started).rejects.toThrow(
        /gregor-broker: The controller refused to register broker 3: its log dirs were formatted for cluster \S+, not the quorum's cluster \(INCONSISTENT_CLUSTER_ID\)/,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a controller whose controller.quorum.voters disagree: the quorum refuses its raft messages and logs both sets", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "gregor-bad-config-"));
    // Fixed ports (startCluster's basePort) so node 3's odd voter list can name the others' ports.
    const base = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    const voters = [1, 2, 3].map((id) => `${id}@127.0.0.1:${base + 2 * (id - 1) + 1}`).join(",");
    const odd = `${voters},4@127.0.0.1:${base + 7}`;
    try {
      const started = startCluster({
        nodes: 3,
        mode: "process",
        dataDir,
        basePort: base,
        config: TEST_TIMEOUTS,
        startTimeoutMs: 12_000,
        nodeConfig: (id) => (id === 3 ? { "controller.quorum.voters": odd } : {}),
      });
      await expect(started).rejects.toThrow(/the cluster did not form within 12000 ms: .*node 3/);
      const logs = (await Promise.all([1, 2].map((id) => readFile(join(dataDir, `node-${id}.log`), "utf8")))).join("");
      expect(logs).toContain("refusing raft messages from a node of another quorum");
      expect(logs).toContain(`4@127.0.0.1:${base + 7}`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
