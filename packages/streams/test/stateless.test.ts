// Stateless operators through the TopologyTestDriver (no broker).
import { describe, expect, it } from "vitest";
import { Serdes, StreamsBuilder, StreamsError, type Topology, TopologyTestDriver } from "../src/index.js";

const str = Serdes.string();

function drive(build: (b: StreamsBuilder) => void): TopologyTestDriver {
  const builder = new StreamsBuilder();
  build(builder);
  return new TopologyTestDriver(builder.build());
}

describe("stateless operators", () => {
  it("filter, mapValues, map, selectKey, flatMapValues and peek keep order and types", () => {
    const peeked: string[] = [];
    const driver = drive((b) =>
      b
        .stream("in", { key: str, value: str })
        .filter((_k, v) => v !== "drop")
        .mapValues((v) => v.toUpperCase())
        .flatMapValues((v) => v.split(" "))
        .map((k, v) => [`${k}:${v}`, v.length] as const)
        .peek((k) => peeked.push(k))
        .selectKey((k) => k.toLowerCase())
        .to("out", { key: str, value: Serdes.int32() }),
    );
    const input = driver.createInputTopic("in", str, str);
    const output = driver.createOutputTopic("out", str, Serdes.int32());
    input.pipeInput("a", "hello world");
    input.pipeInput("b", "drop");
    input.pipeInput("c", "x");
    expect(output.readKeyValuesToList()).toEqual([
      ["a:hello", 5],
      ["a:world", 5],
      ["c:x", 1],
    ]);
    expect(peeked).toEqual(["a:HELLO", "a:WORLD", "c:X"]);
  });

  it("flatMap emits zero or more records with new keys; filterNot inverts", () => {
    const driver = drive((b) =>
      b
        .stream("in", { key: str, value: str })
        .filterNot((_k, v) => v.length === 0)
        .flatMap((k, v) => [...v].map((ch) => [ch, k] as const))
        .to("out", { key: str, value: str }),
    );
    const input = driver.createInputTopic("in", str, str);
    input.pipeInput("k", "ab");
    input.pipeInput("k", "");
    expect(driver.createOutputTopic("out", str, str).readKeyValuesToList()).toEqual([
      ["a", "k"],
      ["b", "k"],
    ]);
  });

  it("branch sends each record to the first matching branch; split names branches", () => {
    const driver = drive((b) => {
      const s = b.stream("in", { key: str, value: Serdes.int32() });
      const [neg, small] = s.branch(
        (_k, v) => v < 0,
        (_k, v) => v < 10,
      );
      neg!.to("neg");
      small!.to("small");
      const named = s
        .split("n-")
        .branch((_k, v) => v % 2 === 0, "even")
        .defaultBranch("odd");
      named["n-even"]!.to("even");
      named["n-odd"]!.to("odd");
    });
    const input = driver.createInputTopic("in", str, Serdes.int32());
    for (const v of [-1, 3, 20, 4]) input.pipeInput("k", v);
    const read = (t: string) => driver.createOutputTopic(t, str, Serdes.int32()).readValuesToList();
    expect(read("neg")).toEqual([-1]);
    expect(read("small")).toEqual([3, 4]);
    expect(read("even")).toEqual([20, 4]);
    expect(read("odd")).toEqual([-1, 3]);
  });

  it("merge interleaves two streams in processing order; timestamps are kept", () => {
    const driver = drive((b) => {
      const a = b.stream("a", { key: str, value: str });
      const c = b.stream("c", { key: str, value: str });
      a.merge(c).to("out");
    });
    driver.createInputTopic("a", str, str).pipeInput("1", "x", 100);
    driver.createInputTopic("c", str, str).pipeInput("2", "y", 50);
    expect(driver.createOutputTopic("out", str, str).readRecordsToList()).toEqual([
      { key: "1", value: "x", timestamp: 100 },
      { key: "2", value: "y", timestamp: 50 },
    ]);
  });

  it("through and repartition feed a second sub-topology", () => {
    const builder = new StreamsBuilder();
    builder
      .stream("in", { key: str, value: str })
      .selectKey((_k, v) => v)
      .repartition({ name: "by-value", key: str, value: str })
      .through("mid", { key: str, value: str })
      .to("out");
    const topology: Topology = builder.build();
    expect(topology.subtopologies().map((s) => s.sourceTopics)).toEqual([["in"], ["by-value-repartition"], ["mid"]]);
    const driver = new TopologyTestDriver(topology, { applicationId: "app" });
    driver.createInputTopic("in", str, str).pipeInput("k", "v");
    expect(driver.producedTopicNames()).toContain("app-by-value-repartition");
    expect(driver.createOutputTopic("out", str, str).readKeyValuesToList()).toEqual([["v", "v"]]);
  });

  it("a sink without a serde and no default fails naming the sink and the fix", () => {
    const driver = drive((b) =>
      b
        .stream("in", { key: str, value: str })
        .mapValues((v) => v.length)
        .to("out"),
    );
    expect(() => driver.createInputTopic("in", str, str).pipeInput("k", "v")).toThrow(
      /no value serde.*defaultValueSerde/,
    );
    expect(() => driver.createInputTopic("nope", str, str)).toThrow(StreamsError);
  });

  it("a record that does not deserialize fails naming topic, partition and offset, or is skipped", () => {
    const build = (b: StreamsBuilder) =>
      b
        .stream("in", { key: str, value: Serdes.json<{ n: number }>() })
        .mapValues((v) => `${v.n}`)
        .to("out", { key: str, value: str });
    const failing = drive(build);
    const raw = failing.createInputTopic("in", str, str);
    raw.pipeInput("k", '{"n":1}');
    expect(() => raw.pipeInput("k", "not json")).toThrow(/cannot deserialize in-0@1: JSON serde/);
    const builder = new StreamsBuilder();
    build(builder);
    const skipping = new TopologyTestDriver(builder.build(), { deserializationExceptionHandler: "logAndContinue" });
    const input = skipping.createInputTopic("in", str, str);
    for (const v of ['{"n":1}', "not json", '{"n":3}']) input.pipeInput("k", v);
    expect(skipping.createOutputTopic("out", str, str).readValuesToList()).toEqual(["1", "3"]);
  });

  it("default serdes apply where none was given", () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>("in")
      .mapValues((v) => `${v}!`)
      .to("out");
    const driver = new TopologyTestDriver(builder.build(), { defaultKeySerde: str, defaultValueSerde: str });
    driver.createInputTopic("in", str, str).pipeInput("k", "v");
    expect(driver.createOutputTopic("out", str, str).readValuesToList()).toEqual(["v!"]);
  });
});
