// kafka-leader-election.sh against a single combined node: Kafka's output lines (already elected,
// failures with exit 1), the JSON file format, and bad flags named with what is allowed.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Broker, startBroker } from "@gregor/broker";
import { Admin } from "@gregor/client";
import { tempDir } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseElectionJson } from "../src/commands/leader-election.js";
import { runCli } from "../src/index.js";

let broker: Broker;
let dir: string;

beforeAll(async () => {
  broker = await startBroker({ port: 0, dataDir: ":memory:" });
  const admin = new Admin({ bootstrapBrokers: [broker.bootstrap], clientId: "leader-election-test" });
  await admin.createTopics([{ topic: "elect", numPartitions: 2, replicationFactor: 1 }]);
  await admin.close();
  dir = tempDir("leader-election-");
}, 120_000);
afterAll(async () => {
  await broker?.close();
});

const cli = async (...args: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(["leader-election", ...args], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
};

describe("kafka-leader-election.sh", () => {
  it("a partition led by its preferred replica: 'Valid replica already elected', exit 0", async () => {
    const b = ["--bootstrap-server", broker.bootstrap];
    const r = await cli(...b, "--election-type", "preferred", "--topic", "elect", "--partition", "1");
    expect(r).toEqual({ code: 0, out: "Valid replica already elected for partitions elect-1\n", err: "" });
    // Every partition: only those where an election was tried are answered (none here).
    expect(await cli(...b, "--election-type", "PREFERRED", "--all-topic-partitions")).toEqual({
      code: 0,
      out: "",
      err: "",
    });
  });

  it("partitions from a JSON file; an unknown partition is a failure line and exit 1", async () => {
    const file = join(dir, "elect.json");
    await writeFile(
      file,
      JSON.stringify({
        partitions: [
          { topic: "elect", partition: 0 },
          { topic: "elect", partition: 7 },
        ],
      }),
    );
    const r = await cli(
      "--bootstrap-server",
      broker.bootstrap,
      "--election-type",
      "unclean",
      "--path-to-json-file",
      file,
    );
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      "Valid replica already elected for partitions elect-0\n" +
        "Error completing leader election (UNCLEAN) for partition: elect-7: UNKNOWN_TOPIC_OR_PARTITION: No such partition as elect-7\n",
    );
    expect(r.err).toBe("Error: 1 replica(s) could not be elected\n");
  });

  it("the JSON format: partitions array, topic and partition fields, no duplicates", () => {
    expect(parseElectionJson('{"partitions":[{"topic":"a","partition":1}]}', "f")).toEqual([
      { topic: "a", partition: 1 },
    ]);
    expect(() => parseElectionJson("{", "f")).toThrow(/f is not valid JSON/);
    expect(() => parseElectionJson('{"topics":[]}', "f")).toThrow(/missing the "partitions" array/);
    expect(() => parseElectionJson('{"partitions":[{"topic":"a"}]}', "f")).toThrow(
      /partitions\[0\] must be \{"topic": "<name>", "partition": <integer >= 0>\}/,
    );
    expect(() =>
      parseElectionJson('{"partitions":[{"topic":"a","partition":1},{"topic":"a","partition":1}]}', "f"),
    ).toThrow("Replica election data contains duplicate partitions: a-1");
  });

  it("--help, and bad flags: each error names what is allowed, exit 1", async () => {
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: gregor leader-election \[options\]\n/);
    for (const flag of ["--election-type", "--all-topic-partitions", "--path-to-json-file", "--topic", "--partition"])
      expect(help.out).toContain(flag);
    const b = ["--bootstrap-server", broker.bootstrap];
    const cases: [string[], string][] = [
      [[...b, "--all-topic-partitions"], "Error: missing required option '--election-type <type>'\n"],
      [
        [...b, "--election-type", "fastest", "--all-topic-partitions"],
        "Error: option '--election-type' must be preferred or unclean, got 'fastest'\n",
      ],
      [
        [...b, "--election-type", "preferred"],
        "Error: exactly one of --all-topic-partitions, --topic, --path-to-json-file is required\n",
      ],
      [
        [...b, "--election-type", "preferred", "--all-topic-partitions", "--topic", "t"],
        "Error: exactly one of --all-topic-partitions, --topic, --path-to-json-file is required\n",
      ],
      [[...b, "--election-type", "preferred", "--topic", "t"], "Error: --topic needs --partition <id>\n"],
      [
        [...b, "--election-type", "preferred", "--all-topic-partitions", "--partition", "1"],
        "Error: --partition is only allowed with --topic\n",
      ],
      [
        [...b, "--election-type", "preferred", "--topic", "t", "--partition", "x"],
        "Error: option '--partition' must be an integer, got 'x'\n",
      ],
      [
        [...b, "--election-type", "preferred", "--path-to-json-file", join(dir, "missing.json")],
        `Error: cannot read --path-to-json-file ${join(dir, "missing.json")}: ENOENT\n`,
      ],
      [
        ["--election-type", "preferred", "--all-topic-partitions"],
        "Error: missing required option '--bootstrap-server <host:port>'\n",
      ],
    ];
    for (const [args, err] of cases) expect(await cli(...args)).toEqual({ code: 1, out: "", err });
  });
});
