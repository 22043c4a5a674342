// kafka-metadata-quorum.sh against a single combined node (a one-voter quorum) and its flag
// handling: one command (describe), exactly one of --status / --replication, Kafka's errors.
import { type Broker, startBroker } from "@gregor/broker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";
import { sh } from "./sh.js";

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ port: 0, dataDir: ":memory:" });
}, 120_000);
afterAll(async () => {
  await broker.close();
});

const cli = async (...args: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(args, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
};

describe("kafka-metadata-quorum.sh", () => {
  it("describe --status prints Kafka's layout: the node leads a quorum of one voter", async () => {
    const r = await sh("kafka-metadata-quorum.sh", ["--bootstrap-server", broker.bootstrap, "describe", "--status"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines.map((l) => l.split(":")[0])).toEqual([
      "ClusterId",
      "LeaderId",
      "LeaderEpoch",
      "HighWatermark",
      "MaxFollowerLag",
      "MaxFollowerLagTimeMs",
      "CurrentVoters",
      "CurrentObservers",
    ]);
    expect(lines[0]).toBe(`ClusterId:              ${broker.clusterId}`);
    expect(lines[1]).toBe(`LeaderId:               ${broker.nodeId}`);
    expect(Number(lines[2]!.slice(24))).toBeGreaterThan(0);
    expect(Number(lines[3]!.slice(24))).toBeGreaterThan(0);
    expect(lines[4]).toBe("MaxFollowerLag:         0");
    expect(lines[6]).toMatch(
      new RegExp(
        `^CurrentVoters: {10}\\[\\{"id": ${broker.nodeId}, "directoryId": null, "endpoints": \\["CONTROLLER://[^"]+:\\d+"\\]\\}\\]$`,
      ),
    );
    expect(lines[7]).toBe("CurrentObservers:       []");
  });

  it("describe --replication prints one row per replica, the leader first; --human-readable shows ages", async () => {
    const r = await cli("metadata-quorum", "--bootstrap-server", broker.bootstrap, "describe", "--replication");
    expect(r).toMatchObject({ code: 0, err: "" });
    const rows = r.out
      .trimEnd()
      .split("\n")
      .map((l) => l.split("\t").map((c) => c.trim()));
    expect(rows[0]).toEqual(["NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"]);
    expect(rows).toHaveLength(2);
    expect(rows[1]![0]).toBe(String(broker.nodeId));
    expect(rows[1]![2]).toBe("0");
    expect(rows[1]![5]).toBe("Leader");
    const human = await cli(
      "metadata-quorum",
      "--bootstrap-server",
      broker.bootstrap,
      "describe",
      "--replication",
      "--human-readable",
    );
    expect(human.out).toMatch(/\d+ ms ago/);
  });

  it("--help, and bad input: unknown command or flag, no or both actions, no --bootstrap-server", async () => {
    const help = await cli("metadata-quorum", "--help");
    expect(help).toMatchObject({ code: 0, err: "" });
    expect(help.out).toMatch(/^Usage: gregor metadata-quorum \[options\] <command>\n/);
    expect(help.out).toContain("--replication");
    const b = ["--bootstrap-server", broker.bootstrap];
    const cases: [string[], string][] = [
      [
        [...b, "descibe", "--status"],
        "Error: command-argument value 'descibe' is invalid for argument 'command'. Allowed choices are describe.\n",
      ],
      [
        [...b, "describe", "--stats"],
        "Error: unrecognized option '--stats' for 'metadata-quorum'. Allowed: --bootstrap-server, --status, --replication, --human-readable, --help. Did you mean --status?\n",
      ],
      [[...b, "describe"], "Error: describe needs exactly one of --status, --replication\n"],
      [
        [...b, "describe", "--status", "--replication"],
        "Error: describe needs exactly one of --status, --replication\n",
      ],
      [[...b, "--status"], "Error: missing required argument 'command'\n"],
      [["describe", "--status"], "Error: missing required option '--bootstrap-server <host:port>'\n"],
    ];
    for (const [args, err] of cases) expect(await cli("metadata-quorum", ...args)).toEqual({ code: 1, out: "", err });
  });
});
