// kafka-reassign-partitions.sh against a 3-node in-process cluster: --generate's proposal, --execute
// and --verify of a reorder (completes at once), a move onto a stopped broker (stays in progress:
// --list, --verify, --execute refused without --additional, --cancel), a move to an unknown broker
// (Kafka's INVALID_REPLICA_ASSIGNMENT, exit 1), and bad flags and files.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type LocalCluster, startCluster } from "@gregor/broker";
import { Admin } from "@gregor/client";
import { ApiKey, type CreateTopicsResponse } from "@gregor/protocol";
import { tempDir } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseReassignment, parseTopicsToMove, proposeAssignment } from "../src/commands/reassign-json.js";
import { runCli } from "../src/index.js";

let cluster: LocalCluster;
let dir: string;
let bootstrap: string[];

const cli = async (...args: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(["reassign-partitions", "--bootstrap-server", ...bootstrap, ...args], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
};

async function file(name: string, json: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof json === "string" ? json : JSON.stringify(json));
  return path;
}

const moves = (partitions: { partition: number; replicas: number[] }[]) => ({
  version: 1,
  partitions: partitions.map((p) => ({ topic: "mv", ...p })),
});

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 3,
    mode: "in-process",
    config: {
      "broker.session.timeout.ms": 1500,
      "broker.heartbeat.interval.ms": 100,
      "controller.quorum.election.timeout.ms": 300,
      "controller.quorum.request.timeout.ms": 1500,
      "auto.leader.rebalance.enable": false,
    },
  });
  // Nodes 1 and 2 only: node 3 is stopped part-way.
  bootstrap = [`127.0.0.1:${cluster.node(1).port},127.0.0.1:${cluster.node(2).port}`];
  dir = tempDir("reassign-partitions-");
  const admin = new Admin({ bootstrapBrokers: bootstrap[0]!.split(","), clientId: "reassign-test" });
  const c = await admin.cluster.anyBroker();
  const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
    topics: [
      {
        name: "mv",
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [1, 2] },
          { partitionIndex: 1, brokerIds: [2, 3] },
        ],
        configs: [],
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  expect(res.topics[0]?.errorCode).toBe(0);
  await admin.close();
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

describe("kafka-reassign-partitions.sh", () => {
  it("--generate prints the current assignment and Kafka's round-robin proposal", async () => {
    const topics = await file("topics.json", { topics: [{ topic: "mv" }], version: 1 });
    const r = await cli("--generate", "--topics-to-move-json-file", topics, "--broker-list", "1,2,3");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const current =
      '{"version":1,"partitions":[{"topic":"mv","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"mv","partition":1,"replicas":[2,3],"log_dirs":["any","any"]}]}';
    const proposed =
      '{"version":1,"partitions":[{"topic":"mv","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"mv","partition":1,"replicas":[2,3],"log_dirs":["any","any"]}]}';
    expect(r.out).toBe(
      `Current partition replica assignment\n${current}\n\nProposed partition reassignment configuration\n${proposed}\n`,
    );
    const unknown = await cli("--generate", "--topics-to-move-json-file", topics, "--broker-list", "1,9");
    expect(unknown).toMatchObject({ code: 1, out: "" });
    expect(unknown.err).toBe("Error: --broker-list names brokers that are not in the cluster: 9 (brokers: 1,2,3)\n");
  });

  it("--execute of a reorder completes at once; --verify says so", async () => {
    const reorder = await file("reorder.json", moves([{ partition: 1, replicas: [3, 2] }]));
    const r = await cli("--execute", "--reassignment-json-file", reorder);
    expect(r.err).toBe("");
    expect(r.out).toBe(
      "Current partition replica assignment\n\n" +
        '{"version":1,"partitions":[{"topic":"mv","partition":1,"replicas":[2,3],"log_dirs":["any","any"]}]}\n\n' +
        "Save this to use as the --reassignment-json-file option during rollback\n" +
        "Successfully started partition reassignment for mv-1\n",
    );
    const v = await cli("--verify", "--reassignment-json-file", reorder);
    expect(v).toEqual({
      code: 0,
      err: "",
      out: "Status of partition reassignment:\nReassignment of partition mv-1 is completed.\n\nProgress: 1 of 1 partition reassignment(s) completed.\n",
    });
    // 2 still leads; 3 is preferred now: kafka-leader-election.sh moves leadership to it.
    let out = "";
    const code = await runCli(
      ["leader-election", "--bootstrap-server", ...bootstrap, "--election-type", "preferred", "--all-topic-partitions"],
      { out: (x) => (out += x), err: (x) => (out += x) },
    );
    expect({ code, out }).toEqual({
      code: 0,
      out: "Successfully completed leader election (PREFERRED) for partitions mv-1\n",
    });
  });

  it("a move onto a stopped broker: --list, --verify in progress, --execute needs --additional, --cancel reverts", async () => {
    await cluster.node(3).stop();
    const move = await file("move.json", moves([{ partition: 0, replicas: [2, 3] }]));
    expect((await cli("--execute", "--reassignment-json-file", move)).code).toBe(0);
    expect(await cli("--list")).toEqual({
      code: 0,
      err: "",
      out: "Current partition reassignments:\nmv-0: replicas: 2,3,1. adding: 3. removing: 1.\n",
    });
    expect((await cli("--verify", "--reassignment-json-file", move)).out).toContain(
      "Reassignment of partition mv-0 is still in progress.\n",
    );
    const again = await cli("--execute", "--reassignment-json-file", move);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(
      /^Error: Cannot execute because there is an existing partition assignment\. Use --additional/,
    );
    expect(await cli("--cancel", "--reassignment-json-file", move)).toEqual({
      code: 0,
      err: "",
      out: "Successfully cancelled partition reassignments for: mv-0\n",
    });
    expect((await cli("--list")).out).toBe("No partition reassignments found.\n");
    expect((await cli("--verify", "--reassignment-json-file", move)).out).toContain(
      "There is no active reassignment of partition mv-0, but replica set is 2,1 rather than 2,3.\n",
    );
    const none = await cli("--cancel", "--reassignment-json-file", move);
    expect(none.code).toBe(1);
    expect(none.out).toBe(
      "Error cancelling partition reassignment(s):\nmv-0: NO_REASSIGNMENT_IN_PROGRESS: No partition reassignment is in progress.\n",
    );
  });

  it("a move to an unknown broker: the broker's INVALID_REPLICA_ASSIGNMENT, exit 1", async () => {
    const bad = await file("bad.json", moves([{ partition: 0, replicas: [1, 9] }]));
    const r = await cli("--execute", "--reassignment-json-file", bad);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "Error reassigning partition(s):\nmv-0: INVALID_REPLICA_ASSIGNMENT: The manual partition assignment includes broker 9, but no such broker is registered.\n",
    );
    expect(r.err).toBe("Error: 1 partition reassignment(s) could not be started\n");
    const missing = await file("missing.json", moves([{ partition: 5, replicas: [1, 2] }]));
    expect(await cli("--execute", "--reassignment-json-file", missing)).toEqual({
      code: 1,
      out: "",
      err: "Error: Unable to find partition: mv-5\n",
    });
  });

  it("bad flags: exactly one action, files and flags with the actions that take them", async () => {
    const f = join(dir, "x.json");
    const cases: [string[], string][] = [
      [[], "Error: exactly one of --generate, --execute, --verify, --cancel, --list is required\n"],
      [["--list", "--verify"], "Error: exactly one of --generate, --execute, --verify, --cancel, --list is required\n"],
      [["--execute"], "Error: --execute needs --reassignment-json-file <file>\n"],
      [["--generate", "--broker-list", "1"], "Error: --generate needs --topics-to-move-json-file <file>\n"],
      [
        ["--verify", "--broker-list", "1"],
        "Error: --topics-to-move-json-file and --broker-list are only allowed with --generate\n",
      ],
      [["--verify", "--throttle", "100"], "Error: --throttle and --additional are only allowed with --execute\n"],
      [["--list", "--reassignment-json-file", f], "Error: --reassignment-json-file is not allowed with --list\n"],
      [["--execute", "--reassignment-json-file", f], `Error: cannot read --reassignment-json-file ${f}: ENOENT\n`],
      [["--execute", "--throttle", "fast"], "Error: option '--throttle' must be an integer, got 'fast'\n"],
    ];
    for (const [args, err] of cases) expect(await cli(...args)).toEqual({ code: 1, out: "", err });
  });
});

describe("reassignment files and proposals", () => {
  it("parses Kafka's files and refuses bad ones naming what is wrong", () => {
    expect(parseTopicsToMove('{"topics":[{"topic":"a"},{"topic":"b"}],"version":1}', "f")).toEqual(["a", "b"]);
    expect(() => parseTopicsToMove('{"topics":[{"topic":"a"},{"topic":"a"}]}', "f")).toThrow(
      "List of topics to reassign contains duplicate entries: a",
    );
    expect(() => parseTopicsToMove('{"topics":[],"version":2}', "f")).toThrow(/not supported version field value 2/);
    const one = '{"topic":"a","partition":0,"replicas":[1,2]}';
    expect(parseReassignment(`{"version":1,"partitions":[${one}]}`, "f")).toEqual([
      { topic: "a", partition: 0, replicas: [1, 2] },
    ]);
    const bad: [string, RegExp][] = [
      ['{"version":1}', /missing the "partitions" array/],
      ['{"partitions":[]}', /reassignment list is empty/],
      [`{"partitions":[${one},${one}]}`, /duplicate topic partitions: a-0/],
      ['{"partitions":[{"topic":"a","partition":0,"replicas":[]}]}', /a-0 has an empty replica list/],
      ['{"partitions":[{"topic":"a","partition":0,"replicas":[1,1]}]}', /a-0 contains broker 1 twice/],
      ['{"partitions":[{"topic":"a","partition":-1,"replicas":[1]}]}', /partitions\[0\] must be/],
      ['{"partitions":[{"topic":"a","partition":0,"replicas":[1],"log_dirs":["/d"]}]}', /only "any" log dirs/],
      ["[1]", /is not a JSON object/],
    ];
    for (const [text, message] of bad) expect(() => parseReassignment(text, "f")).toThrow(message);
  });

  it("proposes like Kafka's rack-unaware assignment: first replicas round-robin, followers shifted", () => {
    expect(proposeAssignment("t", 6, 2, [1, 2, 3]).map((p) => p.replicas)).toEqual([
      [1, 2],
      [2, 3],
      [3, 1],
      [1, 3],
      [2, 1],
      [3, 2],
    ]);
    expect(() => proposeAssignment("t", 1, 3, [1, 2])).toThrow(
      /Replication factor: 3 larger than available brokers: 2/,
    );
  });
});
