// Runs the CLI and the bin/kafka-*.sh wrappers as a user would (child processes) against a Gregor broker.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "@gregor/broker";
import { root, run, sh } from "./sh.js";
import { join } from "node:path";
import { runCli } from "../src/index.js";

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ port: 0, dataDir: ":memory:" });
  // Build once if needed (the wrappers do this themselves too).
  await sh("kafka-topics.sh", ["--help"]);
}, 120_000);
afterAll(async () => {
  await broker.close();
});

describe("kafka-topics.sh", () => {
  it("creates, lists and describes a topic in Kafka's format", async () => {
    const b = broker.bootstrap;
    const c = await sh("kafka-topics.sh", [
      "--create",
      "--topic",
      "test-topic",
      "--partitions",
      "3",
      "--replication-factor",
      "1",
      "--bootstrap-server",
      b,
    ]);
    expect(c).toMatchObject({ code: 0, out: "Created topic test-topic.\n" });
    expect((await sh("kafka-topics.sh", ["--list", "--bootstrap-server", b])).out.split("\n")).toContain("test-topic");
    const d = await sh("kafka-topics.sh", ["--describe", "--topic", "test-topic", "--bootstrap-server", b]);
    expect(d.code).toBe(0);
    const lines = d.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Topic: test-topic\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: /);
    expect(lines.slice(1)).toEqual(
      [0, 1, 2].map(
        (p) =>
          `\tTopic: test-topic\tPartition: ${p}\tLeader: ${broker.nodeId}\tReplicas: ${broker.nodeId}\tIsr: ${broker.nodeId}`,
      ),
    );
  });

  it("prints Kafka's INVALID_REPLICATION_FACTOR error and exits 1 without a stack trace", async () => {
    const r = await sh("kafka-topics.sh", [
      "--create",
      "--topic",
      "rf2",
      "--partitions",
      "1",
      "--replication-factor",
      "2",
      "--bootstrap-server",
      broker.bootstrap,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("INVALID_REPLICATION_FACTOR");
    expect(r.err).toMatch(/^Error while executing topic command : /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("rejects an unknown flag naming it and the allowed ones", async () => {
    const r = await sh("kafka-topics.sh", ["--crate", "--bootstrap-server", broker.bootstrap]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unrecognized option '--crate'.*Allowed: .*--create/);
    const n = await sh("kafka-topics.sh", [
      "--create",
      "--topic",
      "x",
      "--partitions",
      "three",
      "--bootstrap-server",
      broker.bootstrap,
    ]);
    expect(n.code).toBe(1);
    expect(n.err).toContain("option '--partitions' must be an integer, got 'three'");
  });
});

describe("console producer and consumer", () => {
  it("round-trips keyed lines and prints keys, partitions and offsets", async () => {
    const b = broker.bootstrap;
    await sh("kafka-topics.sh", [
      "--create",
      "--topic",
      "lines",
      "--partitions",
      "1",
      "--replication-factor",
      "1",
      "--bootstrap-server",
      b,
    ]);
    const p = await sh(
      "kafka-console-producer.sh",
      ["--topic", "lines", "--bootstrap-server", b, "--property", "parse.key=true", "--property", "key.separator=:"],
      "k1:hello\nk2:world\nk3:a:b\n",
    );
    expect(p.code).toBe(0);
    const c = await sh("kafka-console-consumer.sh", [
      "--topic",
      "lines",
      "--partition",
      "0",
      "--offset",
      "earliest",
      "--bootstrap-server",
      b,
      "--max-messages",
      "3",
      "--property",
      "print.key=true",
      "--property",
      "print.offset=true",
    ]);
    expect(c.code).toBe(0);
    expect(c.out).toBe("Offset:0\tk1\thello\nOffset:1\tk2\tworld\nOffset:2\tk3\ta:b\n");
    expect(c.err).toContain("Processed a total of 3 messages");
  });

  it("--from-beginning reads all partitions, --timeout-ms ends an idle consumer", async () => {
    const b = broker.bootstrap;
    await sh("kafka-topics.sh", [
      "--create",
      "--topic",
      "multi",
      "--partitions",
      "3",
      "--replication-factor",
      "1",
      "--bootstrap-server",
      b,
    ]);
    await sh(
      "kafka-console-producer.sh",
      ["--topic", "multi", "--bootstrap-server", b],
      Array.from({ length: 30 }, (_, i) => `m${i}`).join("\n") + "\n",
    );
    const c = await sh("kafka-console-consumer.sh", [
      "--topic",
      "multi",
      "--from-beginning",
      "--bootstrap-server",
      b,
      "--timeout-ms",
      "1500",
    ]);
    expect(c.code).toBe(0);
    expect(c.out.trim().split("\n").sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
  });

  it("rejects a bad --offset value", async () => {
    const r = await sh("kafka-console-consumer.sh", [
      "--topic",
      "lines",
      "--partition",
      "0",
      "--offset",
      "first",
      "--bootstrap-server",
      broker.bootstrap,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--offset must be earliest, latest or a non-negative integer, got 'first'");
  });
});

describe("configs", () => {
  it("alters and describes a topic's dynamic config", async () => {
    const b = broker.bootstrap;
    await sh("kafka-topics.sh", [
      "--create",
      "--topic",
      "cfg",
      "--partitions",
      "1",
      "--replication-factor",
      "1",
      "--bootstrap-server",
      b,
    ]);
    const a = await sh("kafka-configs.sh", [
      "--bootstrap-server",
      b,
      "--entity-type",
      "topics",
      "--entity-name",
      "cfg",
      "--alter",
      "--add-config",
      "retention.ms=12345",
    ]);
    expect(a).toMatchObject({ code: 0, out: "Completed updating config for topic cfg.\n" });
    const d = await sh("kafka-configs.sh", [
      "--bootstrap-server",
      b,
      "--entity-type",
      "topics",
      "--entity-name",
      "cfg",
      "--describe",
    ]);
    expect(d.out).toContain("retention.ms=12345 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=12345}");
  });
});

describe("help and progress", () => {
  const gregor = (...args: string[]) => run("node", [join(root, "apps/cli/dist/main.js"), ...args]);

  it("gregor --help lists every command; 'help <cmd>', '<cmd> --help' and '-h' print the command's options and examples", async () => {
    const [h, none, viaHelp, viaFlag, viaShort, bad] = await Promise.all([
      gregor("--help"),
      gregor(),
      gregor("help", "groups"),
      gregor("groups", "--help"),
      gregor("groups", "-h"),
      gregor("grups"),
    ]);
    expect(h.code).toBe(0);
    for (const c of ["topics", "produce", "consume", "groups", "configs", "cluster", "perf"])
      expect(h.out).toMatch(new RegExp(`^  ${c} `, "m"));
    expect(none.code).toBe(1);
    expect(viaHelp.out).toBe(viaFlag.out);
    expect(viaShort.out).toBe(viaFlag.out);
    expect(viaFlag.out).toContain("--reset-offsets");
    expect(viaFlag.out).toMatch(/Examples:\n {2}gregor groups --bootstrap-server/);
    for (const line of viaFlag.out.split("\n").filter((l) => l.startsWith("  --")))
      expect(line.length).toBeLessThanOrEqual(100); // wrapped descriptions
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("unknown command 'grups'. Allowed: topics, produce, consume, groups");
  });

  it("perf produce/consume print progress lines on a non-terminal stderr and a summary on stdout", async () => {
    const b = broker.bootstrap;
    await sh("kafka-topics.sh", ["--create", "--topic", "perf", "--partitions", "1", "--bootstrap-server", b]);
    const p = await gregor(
      "perf",
      "produce",
      "--bootstrap-server",
      b,
      "--topic",
      "perf",
      "--num-records",
      "200000",
      "--throughput",
      "400000",
      "--reporting-interval",
      "100",
    );
    expect(p.code).toBe(0);
    expect(p.out).toMatch(
      /^200000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, .* 99th, [\d.]+ ms 99.9th\.\n$/,
    );
    expect(p.err).toMatch(/^\d+ records sent, [\d.]+ records\/sec/m); // at least one progress line during ~0.5 s
    const c = await gregor(
      "perf",
      "consume",
      "--bootstrap-server",
      b,
      "--topic",
      "perf",
      "--messages",
      "200000",
      "--reporting-interval",
      "50",
    );
    expect(c.code).toBe(0);
    expect(c.out.split("\n")[1]).toMatch(/, 200000, [\d.]+$/);
    expect(c.err).not.toContain("\x1b["); // no terminal codes in a pipe
  }, 30_000);
});

describe("every tool parses flags the same way", () => {
  const TOOLS = ["topics", "produce", "consume", "groups", "configs", "cluster", "perf produce", "perf consume"];
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

  it.each(TOOLS)("%s --help prints its usage, Kafka's --bootstrap-server and exit code 0", async (tool) => {
    const r = await cli(...tool.split(" "), "--help");
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toMatch(new RegExp(`^Usage: gregor ${tool} \\[options\\]\n`));
    expect(r.out).toContain("--bootstrap-server <host:port>");
    expect(r.out).toMatch(/Examples:\n {2}(echo hello \| )?gregor /);
  });

  it.each(TOOLS)("%s rejects an unknown flag, naming it and the allowed ones", async (tool) => {
    const r = await cli(...tool.split(" "), "--bootstrap-server", "localhost:9", "--no-such-flag");
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(
      new RegExp(`^Error: unrecognized option '--no-such-flag' for '${tool}'\\. Allowed: --bootstrap-server, .*--help`),
    );
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  it.each(TOOLS)("%s rejects a flag without its value, and a missing --bootstrap-server", async (tool) => {
    const noValue = await cli(...tool.split(" "), "--bootstrap-server");
    expect(noValue.code).toBe(1);
    expect(noValue.err).toBe("Error: option '--bootstrap-server' requires a value <host:port>\n");
    const noBootstrap = await cli(...tool.split(" "));
    expect(noBootstrap.code).toBe(1);
    expect(noBootstrap.err).toBe("Error: missing required option '--bootstrap-server <host:port>'\n");
    const badBootstrap = await cli(...tool.split(" "), "--bootstrap-server", "localhost");
    expect(badBootstrap.err).toBe("Error: --bootstrap-server: 'localhost' is not host:port\n");
  });

  it("an unknown perf mode names the allowed ones; a stray argument is refused", async () => {
    const mode = await cli("perf", "prodce");
    expect(mode.code).toBe(1);
    expect(mode.err).toMatch(/^Error: unknown command 'prodce'\. Allowed: produce, consume\./);
    const stray = await cli("topics", "--bootstrap-server", "localhost:9", "events");
    expect(stray.code).toBe(1);
    expect(stray.err).toContain("unexpected argument 'events' for 'topics'");
  });
});
