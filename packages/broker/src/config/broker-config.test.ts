import { describe, expect, it } from "vitest";
import { buildBrokerConfig, ConfigError, configFromEnv, parseListeners, retentionMs } from "./broker-config.js";
import { loadBrokerConfig } from "./load.js";
import { parseProperties } from "./properties.js";
import { toLogConfig, validateTopicConfig } from "./topic-config.js";

describe("broker config", () => {
  it("has Kafka's defaults (auto-create on, one partition, 100 MiB request limit)", () => {
    const c = buildBrokerConfig();
    expect(c["auto.create.topics.enable"]).toBe(true);
    expect(c["num.partitions"]).toBe(1);
    expect(c["socket.request.max.bytes"]).toBe(104857600);
    expect(c["message.max.bytes"]).toBe(1048588);
    expect(retentionMs(c)).toBe(168 * 3_600_000);
    expect(c.listeners).toBe("PLAINTEXT://:9092");
  });

  it("layers file < env < flags < code, with typed values", () => {
    const file = parseProperties(
      "num.partitions=3\n# comment\nlog.dirs = /from/file\nauto.create.topics.enable=true\n",
    );
    const env = configFromEnv({ GREGOR_LOG_DIRS: "/from/env", GREGOR_AUTO_CREATE_TOPICS_ENABLE: "false", OTHER: "x" });
    const c = buildBrokerConfig(file, env, new Map([["log.retention.ms", "1000"]]), { "num.partitions": 5 });
    expect(c["log.dirs"]).toBe("/from/env");
    expect(c["auto.create.topics.enable"]).toBe(false);
    expect(c["num.partitions"]).toBe(5);
    expect(retentionMs(c)).toBe(1000);
  });

  it("names the key, the value and what is allowed on a bad value", () => {
    expect(() => buildBrokerConfig({ "num.partitions": "0" })).toThrow(ConfigError);
    expect(() => buildBrokerConfig({ "num.partitions": "0" })).toThrow(
      'Invalid value "0" for configuration num.partitions: an integer >= 1',
    );
    expect(() => buildBrokerConfig({ "auto.create.topics.enable": "yes" })).toThrow(
      "auto.create.topics.enable: true or false",
    );
    expect(() => buildBrokerConfig({ listeners: "localhost:9092" })).toThrow("listeners");
    expect(() => loadBrokerConfig({ overrides: ["novalue"] })).toThrow(ConfigError);
  });

  it("keeps unknown keys aside and accepts Kafka's aliases", () => {
    const c = buildBrokerConfig({ "some.kafka.key": "1", "broker.id": 7, "log.dir": "/d" });
    expect(c.unknown).toEqual({ "some.kafka.key": "1" });
    expect(c["node.id"]).toBe(7);
    expect(c["log.dirs"]).toBe("/d");
  });

  it("parses listeners", () => {
    expect(parseListeners("PLAINTEXT://:9092,CONTROLLER://127.0.0.1:9093")).toEqual([
      { name: "PLAINTEXT", host: "", port: 9092 },
      { name: "CONTROLLER", host: "127.0.0.1", port: 9093 },
    ]);
    expect(parseListeners("PLAINTEXT://[::1]:1")).toEqual([{ name: "PLAINTEXT", host: "::1", port: 1 }]);
    expect(parseListeners("nope")).toBeNull();
  });

  it("reads .properties continuations, escapes and separators", () => {
    const p = parseProperties("a=1\nb : two\\\n  parts\nc\\=d=e\n! bang comment\nf x y\n");
    expect(Object.fromEntries(p)).toEqual({ a: "1", b: "twoparts", "c=d": "e", f: "x y" });
  });
});

describe("topic config", () => {
  it("validates values with Kafka's ranges", () => {
    expect(validateTopicConfig("retention.ms", "-1")).toBeNull();
    expect(validateTopicConfig("retention.ms", "-2")).toMatch(/Invalid value -2 for configuration retention.ms/);
    expect(validateTopicConfig("cleanup.policy", "compact,delete")).toBeNull();
    expect(validateTopicConfig("cleanup.policy", "keep")).not.toBeNull();
    expect(validateTopicConfig("no.such.key", "1")).toMatch(/Unknown topic config/);
  });

  it("maps overrides over broker defaults onto the log config", () => {
    const broker = buildBrokerConfig({ "log.segment.bytes": 1000, "log.flush.interval.messages": 1 });
    const lc = toLogConfig(broker, { "retention.ms": "5000", "message.timestamp.type": "LogAppendTime" });
    expect(lc).toMatchObject({
      segmentBytes: 1000,
      flushMessages: 1,
      retentionMs: 5000,
      messageTimestampType: "LogAppendTime",
      flushMs: Infinity,
      maxMessageBytes: 1048588,
    });
  });
});
