// meta.properties: kafka-storage.sh format (formatStorage) and the start-up check (checkStorage),
// on real directories; startBroker on a fresh dir still formats itself.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildBrokerConfig, type ConfigOverrides } from "../src/config/broker-config.js";
import { parseProperties } from "../src/config/properties.js";
import {
  checkStorage,
  formatStorage,
  randomUuid,
  readMetaProperties,
  StorageError,
  storageInfo,
  uuidProblem,
} from "../src/metadata/meta-properties.js";
import { startBroker } from "../src/broker.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gregor-storage-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const VOTERS3 = "1@127.0.0.11:9093,2@127.0.0.12:9093,3@127.0.0.13:9093";
function clusterNode(id: number, logDirs: string, extra: ConfigOverrides = {}) {
  return buildBrokerConfig({
    "node.id": id,
    "controller.quorum.voters": VOTERS3,
    listeners: `PLAINTEXT://127.0.0.1${id}:9092,CONTROLLER://127.0.0.1${id}:9093`,
    "log.dirs": logDirs,
    ...extra,
  });
}

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof StorageError) return e;
    throw e;
  }
  throw new Error("expected a StorageError");
}

describe("Kafka-style uuids", () => {
  it("random uuids are 22 base64url characters, version 4, never starting with '-'", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = randomUuid();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(uuidProblem(id)).toBeNull();
      const bytes = Buffer.from(id, "base64url");
      expect(bytes[6]! >> 4).toBe(4);
      seen.add(id);
    }
    expect(seen.size).toBe(200);
    // A source whose first draws all start with "-" (0xfb...) is retried.
    let calls = 0;
    const id = randomUuid(() => Buffer.alloc(16, ++calls < 3 ? 0xfb : 0x11));
    expect(id.startsWith("-")).toBe(false);
    expect(calls).toBe(3);
  });

  it("rejects ids that are not 16 bytes of base64 with Kafka's message", () => {
    expect(uuidProblem("invalid")).toBe(
      "Input string `invalid` decoded as 5 bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID",
    );
    expect(uuidProblem("26c36907-4158-4a35-919d-6534229f5241")).toContain("is too long to be decoded as a base64 UUID");
    expect(uuidProblem("MkU3OEVBNTcwNTJENDM2Qk")).toBeNull();
  });
});

describe("formatStorage", () => {
  it("formats every log dir and the metadata log dir with one cluster id and a directory id each", async () => {
    const root = await tempDir();
    const [a, b, meta] = [join(root, "a"), join(root, "b"), join(root, "meta")];
    const clusterId = randomUuid();
    const result = await formatStorage({ dirs: [a, b], metadataLogDir: meta, clusterId, nodeId: 3 });
    expect(result.formatted.map((f) => [f.dir, f.metadata])).toEqual([
      [meta, true],
      [a, false],
      [b, false],
    ]);
    const ids = new Set<string>();
    for (const dir of [a, b, meta]) {
      const props = parseProperties(await readFile(join(dir, "meta.properties"), "utf8"));
      expect(props.get("version")).toBe("1");
      expect(props.get("cluster.id")).toBe(clusterId);
      expect(props.get("node.id")).toBe("3");
      expect(uuidProblem(props.get("directory.id")!)).toBeNull();
      ids.add(props.get("directory.id")!);
    }
    expect(ids.size).toBe(3);
  });

  it("refuses an already formatted dir unless told to ignore it", async () => {
    const dir = await tempDir();
    const clusterId = randomUuid();
    await formatStorage({ dirs: [dir], clusterId, nodeId: 1 });
    const before = await readFile(join(dir, "meta.properties"), "utf8");
    expect((await rejection(formatStorage({ dirs: [dir], clusterId, nodeId: 1 }))).message).toBe(
      `Log directory ${dir} is already formatted. Use --ignore-formatted to ignore this directory and format the others.`,
    );
    const other = await tempDir();
    const again = await formatStorage({ dirs: [dir, other], clusterId, nodeId: 1, ignoreFormatted: true });
    expect(again.alreadyFormatted).toEqual([dir]);
    expect(again.formatted.map((f) => f.dir)).toEqual([other]);
    expect(await readFile(join(dir, "meta.properties"), "utf8")).toBe(before);
  });

  it("refuses a dir formatted for another cluster or node, and a bad cluster id", async () => {
    const dir = await tempDir();
    const clusterId = randomUuid();
    await formatStorage({ dirs: [dir], clusterId, nodeId: 1 });
    const other = randomUuid();
    expect((await rejection(formatStorage({ dirs: [dir], clusterId: other, nodeId: 1 }))).message).toBe(
      `Invalid cluster.id in: ${join(dir, "meta.properties")}. Expected ${other}, but read ${clusterId}`,
    );
    expect((await rejection(formatStorage({ dirs: [dir], clusterId, nodeId: 2 }))).message).toMatch(
      /^Stored node id 1 doesn't match previous node id 2 in /,
    );
    expect((await rejection(formatStorage({ dirs: [dir], clusterId: "invalid", nodeId: 1 }))).message).toBe(
      "Cluster ID string invalid does not appear to be a valid UUID: Input string `invalid` decoded as 5 bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID",
    );
    expect((await rejection(formatStorage({ dirs: [], clusterId, nodeId: 1 }))).message).toBe(
      "No log directories found in the configuration.",
    );
  });
});

describe("checkStorage", () => {
  it("a fresh single node formats itself (embedded default and a one-voter quorum of itself)", async () => {
    const dir = await tempDir();
    const state = await checkStorage(buildBrokerConfig({ "log.dirs": dir }));
    expect(state.selfFormatted).toBe(true);
    expect(uuidProblem(state.clusterId)).toBeNull();
    expect(await readMetaProperties(dir)).toMatchObject({ version: 1, clusterId: state.clusterId, nodeId: 1 });
    const again = await checkStorage(buildBrokerConfig({ "log.dirs": dir }));
    expect(again).toMatchObject({ clusterId: state.clusterId, selfFormatted: false });

    const solo = await tempDir();
    const soloConfig = buildBrokerConfig({
      "node.id": 5,
      "controller.quorum.voters": "5@localhost:9093",
      listeners: "PLAINTEXT://:9092,CONTROLLER://:9093",
      "log.dirs": solo,
    });
    expect((await checkStorage(soloConfig)).selfFormatted).toBe(true);
  });

  it("an unformatted node of a multi-node quorum refuses to start with Kafka's message", async () => {
    const dir = await tempDir();
    const e = await rejection(checkStorage(clusterNode(1, dir)));
    expect(e.message.startsWith("No readable meta.properties files found.")).toBe(true);
    expect(e.message).toContain("kafka-storage.sh format");
    expect(await readMetaProperties(dir)).toBeNull();
  });

  it("a formatted node of a multi-node quorum starts with the formatted cluster id", async () => {
    const dir = await tempDir();
    const clusterId = randomUuid();
    await formatStorage({ dirs: [dir], clusterId, nodeId: 2 });
    const state = await checkStorage(clusterNode(2, dir));
    expect(state.clusterId).toBe(clusterId);
    expect(state.selfFormatted).toBe(false);
  });

  it("refuses a dir formatted for another node id or cluster id, naming both", async () => {
    const dir = await tempDir();
    const clusterId = randomUuid();
    await formatStorage({ dirs: [dir], clusterId, nodeId: 1 });
    const e = await rejection(checkStorage(clusterNode(2, dir)));
    expect(e.message).toBe(
      `Stored node id 1 doesn't match previous node id 2 in ${join(dir, "meta.properties")}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories.`,
    );
    const wanted = randomUuid();
    expect((await rejection(checkStorage(clusterNode(1, dir), { clusterId: wanted }))).message).toBe(
      `Invalid cluster.id in: ${join(dir, "meta.properties")}. Expected ${wanted}, but read ${clusterId}`,
    );
    // Two log dirs formatted for different clusters.
    const second = await tempDir();
    const secondId = randomUuid();
    await formatStorage({ dirs: [second], clusterId: secondId, nodeId: 1 });
    expect((await rejection(checkStorage(clusterNode(1, `${dir},${second}`)))).message).toBe(
      `Invalid cluster.id in: ${join(second, "meta.properties")}. Expected ${clusterId}, but read ${secondId}`,
    );
  });

  it("gives a log dir added later meta.properties, but not an empty metadata log dir", async () => {
    const [first, added, meta] = [await tempDir(), await tempDir(), await tempDir()];
    const clusterId = randomUuid();
    await formatStorage({ dirs: [first], clusterId, nodeId: 1 });
    const state = await checkStorage(clusterNode(1, `${first},${added}`));
    expect((await readMetaProperties(added))?.clusterId).toBe(clusterId);
    expect(state.dirs.get(added)?.directoryId).not.toBe(state.dirs.get(first)?.directoryId);
    const e = await rejection(checkStorage(clusterNode(1, `${first},${added}`, { "metadata.log.dir": meta })));
    expect(e.message).toContain(`The metadata log directory ${meta} has no meta.properties`);
  });

  it("keeps a data dir written by the old format (cluster.id and node.id only) and adds a directory.id", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "meta.properties"), "#old\nversion=1\ncluster.id=old-cluster-id\nnode.id=1\n");
    const state = await checkStorage(buildBrokerConfig({ "log.dirs": dir }));
    expect(state.clusterId).toBe("old-cluster-id");
    expect(state.selfFormatted).toBe(false);
    const meta = await readMetaProperties(dir);
    expect(meta).toMatchObject({ version: 1, clusterId: "old-cluster-id", nodeId: 1 });
    expect(uuidProblem(meta!.directoryId!)).toBeNull();
    await writeFile(join(dir, "meta.properties"), "version=1\nnode.id=1\n");
    expect((await rejection(checkStorage(buildBrokerConfig({ "log.dirs": dir })))).message).toContain("Unable to read");
  });
});

describe("storageInfo", () => {
  it("lists formatted dirs and the problems of the others", async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const clusterId = randomUuid();
    await formatStorage({ dirs: [a], clusterId, nodeId: 1 });
    const missing = join(a, "missing");
    const info = await storageInfo([a, b, missing]);
    expect(info.found.sort()).toEqual([a, b].sort());
    expect(info.metadata).toMatchObject({ clusterId, nodeId: 1, version: 1 });
    expect(info.problems.sort()).toEqual([`${b} is not formatted.`, `${missing} does not exist`].sort());
  });
});

describe("startBroker on a fresh data dir", () => {
  it("formats it on first start and keeps the cluster id across restarts", async () => {
    const dir = await tempDir();
    const first = await startBroker({ dataDir: dir, port: 0 });
    const clusterId = first.clusterId;
    await first.close();
    const meta = await readMetaProperties(dir);
    expect(meta).toMatchObject({ version: 1, clusterId, nodeId: 1 });
    expect(meta?.directoryId).not.toBeNull();
    const second = await startBroker({ dataDir: dir, port: 0 });
    expect(second.clusterId).toBe(clusterId);
    await second.close();
    await expect(startBroker({ dataDir: dir, port: 0, config: { "node.id": 2 } })).rejects.toThrow(
      /^Stored node id 1 doesn't match previous node id 2/,
    );
  });
});

const MAIN = join(__dirname, "..", "..", "..", "apps", "broker", "src", "main.ts");

/** Runs the broker binary to its exit (it must stop on its own: a bad start-up exits 1). */
function runBroker(args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

describe("the broker binary", () => {
  const node2 = (dir: string) => [
    "--override",
    "node.id=2",
    "--override",
    `controller.quorum.voters=${VOTERS3}`,
    "--override",
    "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
    "--override",
    `log.dirs=${dir}`,
  ];

  it("refuses to start a node of a multi-node quorum on unformatted dirs, in one line", async () => {
    const dir = await tempDir();
    const { code, err } = await runBroker(node2(dir));
    expect(code).toBe(1);
    expect(err.split("\n").filter((l) => l !== "")).toHaveLength(1);
    expect(err.startsWith("gregor-broker: No readable meta.properties files found.")).toBe(true);
  });

  it("refuses to start on dirs formatted for another node", async () => {
    const dir = await tempDir();
    await formatStorage({ dirs: [dir], clusterId: randomUuid(), nodeId: 1 });
    const { code, err } = await runBroker(node2(dir));
    expect(code).toBe(1);
    expect(err).toBe(
      `gregor-broker: Stored node id 1 doesn't match previous node id 2 in ${join(dir, "meta.properties")}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories.\n`,
    );
  });

  it("stops on a bad KRaft value with one line naming the key", async () => {
    const dir = await tempDir();
    const { code, err } = await runBroker([...node2(dir), "--override", "node.id=9"]);
    expect(code).toBe(1);
    expect(err).toBe(
      "gregor-broker: If process.roles contains the 'controller' role, the node id 9 must be included in the set of voters controller.quorum.voters=[1, 2, 3]\n",
    );
  });
});
