// bin/kafka-storage.sh as a user runs it (child processes): random-uuid, format (twice), info, and
// bad input. No broker: the tool works on the node's log dirs.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sh } from "./sh.js";

let root: string;
let config: string;
let clusterId: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gregor-storage-cli-"));
  config = join(root, "server.properties");
  // Node 2 of a 3-voter quorum: it cannot format itself, so kafka-storage.sh must.
  await writeFile(
    config,
    [
      "process.roles=broker,controller",
      "node.id=2",
      "controller.quorum.voters=1@127.0.0.11:9093,2@127.0.0.12:9093,3@127.0.0.13:9093",
      "listeners=PLAINTEXT://127.0.0.12:9092,CONTROLLER://127.0.0.12:9093",
      "controller.listener.names=CONTROLLER",
      `log.dirs=${join(root, "data-a")},${join(root, "data-b")}`,
      `metadata.log.dir=${join(root, "metadata")}`,
      "",
    ].join("\n"),
  );
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("kafka-storage.sh", () => {
  it("random-uuid prints a new Kafka-style base64 uuid each time", async () => {
    const [a, b] = await Promise.all([
      sh("kafka-storage.sh", ["random-uuid"]),
      sh("kafka-storage.sh", ["random-uuid"]),
    ]);
    for (const r of [a, b]) expect(r).toMatchObject({ code: 0, err: "" });
    expect(a.out).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}\n$/);
    expect(b.out).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}\n$/);
    expect(a.out).not.toBe(b.out);
    clusterId = a.out.trim();
  });

  it("format writes meta.properties in every dir, then refuses to format them again", async () => {
    const first = await sh("kafka-storage.sh", ["format", "-t", clusterId, "-c", config]);
    expect(first).toEqual({
      code: 0,
      err: "",
      out:
        `Formatting metadata directory ${join(root, "metadata")} with metadata.version 4.0-IV3.\n` +
        `Formatting data directory ${join(root, "data-a")} with metadata.version 4.0-IV3.\n` +
        `Formatting data directory ${join(root, "data-b")} with metadata.version 4.0-IV3.\n`,
    });
    const directoryIds = new Set<string>();
    for (const dir of ["metadata", "data-a", "data-b"]) {
      const text = await readFile(join(root, dir, "meta.properties"), "utf8");
      expect(text).toContain(`cluster.id=${clusterId}\n`);
      expect(text).toContain("node.id=2\n");
      expect(text).toContain("version=1\n");
      directoryIds.add(/directory\.id=(\S+)/.exec(text)![1]!);
    }
    expect(directoryIds.size).toBe(3);

    const second = await sh("kafka-storage.sh", ["format", "--cluster-id", clusterId, "--config", config]);
    expect(second).toEqual({
      code: 1,
      out: "",
      err: `Log directory ${join(root, "metadata")} is already formatted. Use --ignore-formatted to ignore this directory and format the others.\n`,
    });
    const ignored = await sh("kafka-storage.sh", ["format", "-t", clusterId, "-c", config, "--ignore-formatted"]);
    expect(ignored).toEqual({ code: 0, out: "All of the log directories are already formatted.\n", err: "" });
  });

  it("info lists the dirs and their meta.properties", async () => {
    const r = await sh("kafka-storage.sh", ["info", "-c", config]);
    expect(r.code).toBe(0);
    const dirs = ["data-a", "data-b", "metadata"].map((d) => `  ${join(root, d)}\n`).join("");
    expect(r.out).toMatch(
      new RegExp(
        `^Found log directories:\\n${dirs.replace(/[/.]/g, "\\$&")}\\nFound metadata: \\{cluster\\.id=${clusterId}, directory\\.id=\\S+, node\\.id=2, version=1\\}\\n\\n$`,
      ),
    );
  });

  it("refuses dirs formatted for another node or cluster, with Kafka's messages", async () => {
    const otherNode = await sh("kafka-storage.sh", [
      "format",
      "-t",
      clusterId,
      "-c",
      config,
      "--override",
      "node.id=3",
      "--override",
      "controller.listener.names=CONTROLLER",
    ]);
    expect(otherNode.code).toBe(1);
    expect(otherNode.err).toBe(
      `Stored node id 2 doesn't match previous node id 3 in ${join(root, "metadata", "meta.properties")}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories.\n`,
    );
    const otherCluster = await sh("kafka-storage.sh", ["format", "-t", "MkU3OEVBNTcwNTJENDM2Qg", "-c", config]);
    expect(otherCluster).toMatchObject({
      code: 1,
      err: `Invalid cluster.id in: ${join(root, "metadata", "meta.properties")}. Expected MkU3OEVBNTcwNTJENDM2Qg, but read ${clusterId}\n`,
    });
  });

  it("info reports an unformatted dir as a problem (exit 1)", async () => {
    const fresh = join(root, "fresh.properties");
    await writeFile(fresh, `node.id=1\nlog.dirs=${join(root, "never-formatted")}\n`);
    const r = await sh("kafka-storage.sh", ["info", "-c", fresh]);
    expect(r).toEqual({
      code: 1,
      err: "",
      out: `Found problem:\n  ${join(root, "never-formatted")} does not exist\n\n`,
    });
  });

  it("bad flags, a bad cluster id and a bad config get one clear line and exit 1; --help exits 0", async () => {
    // Independent invocations: run them side by side.
    const [bogus, noClusterId, badId, badConfig, notVoter, missing, standalone, unknown, help] = await Promise.all([
      sh("kafka-storage.sh", ["format", "--bogus", "-t", clusterId, "-c", config]),
      sh("kafka-storage.sh", ["format", "-c", config]),
      sh("kafka-storage.sh", ["format", "-t", "invalid", "-c", config]),
      sh("kafka-storage.sh", ["info", "-c", config, "--override", "process.roles=worker"]),
      sh("kafka-storage.sh", ["info", "-c", config, "--override", "node.id=7"]),
      sh("kafka-storage.sh", ["info", "-c", join(root, "missing.properties")]),
      sh("kafka-storage.sh", ["format", "-t", clusterId, "-c", config, "--standalone"]),
      sh("kafka-storage.sh", ["frobnicate"]),
      sh("kafka-storage.sh", ["format", "--help"]),
    ]);
    expect(bogus.code).toBe(1);
    expect(bogus.err).toMatch(/^Error: unrecognized option '--bogus' for 'storage format'/);
    expect(noClusterId.code).toBe(1);
    expect(noClusterId.err).toMatch(/^Error: missing required option .*--cluster-id/);
    expect(badId).toMatchObject({
      code: 1,
      err: "Cluster ID string invalid does not appear to be a valid UUID: Input string `invalid` decoded as 5 bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID\n",
    });
    expect(badConfig).toMatchObject({
      code: 1,
      err: 'Invalid value "worker" for configuration process.roles: broker, controller or broker,controller\n',
    });
    expect(notVoter.code).toBe(1);
    expect(notVoter.err).toContain("the node id 7 must be included in the set of voters controller.quorum.voters");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^Unable to read the configuration file .*missing\.properties/);
    expect(standalone.code).toBe(1);
    expect(standalone.err).toContain("--standalone makes node 2 the only voter");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^Error: unknown command 'frobnicate'\. Allowed: random-uuid, format, info\./);
    expect(help.code).toBe(0);
    expect(help.out).toContain("-t, --cluster-id <cluster-id>");
    expect(help.out).toContain("--ignore-formatted");
  });
});
