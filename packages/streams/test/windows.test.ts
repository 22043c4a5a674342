// Windowed aggregations through the TopologyTestDriver: tumbling and hopping windows, grace
// periods with out-of-order and late records, suppress(untilWindowCloses).
import { describe, expect, it } from "vitest";
import {
  SessionWindows,
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  TopologyTestDriver,
  type Windowed,
  sessionWindowedSerde,
  windowedSerde,
} from "../src/index.js";

const str = Serdes.string();
const long = Serdes.int64();

function windowedCount(windows: TimeWindows, suppress: boolean) {
  const b = new StreamsBuilder();
  let table = b.stream("in", { key: str, value: str }).groupByKey().windowedBy(windows).count({ name: "counts" });
  if (suppress) table = table.suppress(Suppressed.untilWindowCloses());
  table
    .toStream()
    .map((w, n) => [`${w.key}@${w.window.start}-${w.window.end}`, n])
    .to("out", { key: str, value: long });
  const driver = new TopologyTestDriver(b.build());
  return {
    driver,
    input: driver.createInputTopic("in", str, str),
    out: driver.createOutputTopic("out", str, long),
  };
}

describe("time windows", () => {
  it("tumbling windows: out-of-order records within grace count, late ones are dropped", () => {
    const { driver, input, out } = windowedCount(TimeWindows.ofSizeAndGrace(100, 50), false);
    input.pipeInput("a", "x", 10);
    input.pipeInput("a", "x", 99);
    input.pipeInput("a", "x", 100); // next window: [100, 200)
    input.pipeInput("a", "x", 140); // stream time 140: window [0,100) closes at 150
    input.pipeInput("a", "x", 50); // out of order, within grace
    input.pipeInput("a", "x", 150); // stream time 150: [0,100) is now closed
    input.pipeInput("a", "x", 60); // late: dropped
    expect(out.readKeyValuesToList()).toEqual([
      ["a@0-100", 1],
      ["a@0-100", 2],
      ["a@100-200", 1],
      ["a@100-200", 2],
      ["a@0-100", 3],
      ["a@100-200", 3],
    ]);
    const store = driver.getWindowStore<string, number>("counts");
    expect(store.fetch("a", 0)).toBe(3);
    expect(store.fetchRange("a", 0, 100).map((w) => w.value)).toEqual([3, 3]);
  });

  it("hopping windows: a record counts in every window that contains it", () => {
    const { out, input } = windowedCount(TimeWindows.ofSizeWithNoGrace(100).advanceBy(50), false);
    input.pipeInput("k", "x", 120);
    expect(out.readKeyValuesToList()).toEqual([
      ["k@50-150", 1],
      ["k@100-200", 1],
    ]);
    input.pipeInput("k", "x", 10); // window [0,100) would need grace: closed at stream time 120
    expect(out.readKeyValuesToList()).toEqual([]);
  });

  it("suppress(untilWindowCloses) emits one final count per window once end + grace passes", () => {
    const { out, input } = windowedCount(TimeWindows.ofSizeAndGrace(100, 20), true);
    input.pipeInput("a", "x", 10);
    input.pipeInput("b", "x", 20);
    input.pipeInput("a", "x", 90);
    input.pipeInput("a", "x", 110); // stream time 110 < 120: [0,100) still open
    expect(out.readKeyValuesToList()).toEqual([]);
    input.pipeInput("a", "x", 95); // in grace: counts
    input.pipeInput("c", "x", 120); // stream time 120: [0,100) closes
    expect(out.readKeyValuesToList()).toEqual([
      ["a@0-100", 3],
      ["b@0-100", 1],
    ]);
    input.pipeInput("a", "x", 300);
    expect(out.readKeyValuesToList()).toEqual([
      ["a@100-200", 1],
      ["c@100-200", 1],
    ]);
  });

  it("windowed keys serialize as Kafka's time-windowed layout and round-trip", () => {
    const serde = windowedSerde(str, 100);
    const bytes = serde.serialize("t", { key: "k", window: { start: 200, end: 300 } })!;
    expect(bytes.toString("hex")).toBe(`6b${(200).toString(16).padStart(16, "0")}`);
    expect(serde.deserialize("t", bytes)).toEqual({ key: "k", window: { start: 200, end: 300 } });
  });

  it("bad window specs are refused with what is allowed", () => {
    expect(() => TimeWindows.ofSizeWithNoGrace(0)).toThrow(/window size must be an integer .* >= 1/);
    expect(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(20)).toThrow(/must not exceed the window size/);
    const b = new StreamsBuilder();
    const table = b.stream("in", { key: str, value: str }).groupByKey().count();
    expect(() => table.suppress(Suppressed.untilWindowCloses())).toThrow(/needs a windowed table/);
  });
});

describe("session windows", () => {
  function sessions(gapMs: number, graceMs: number) {
    const b = new StreamsBuilder();
    b.stream("clicks", { key: str, value: str })
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(gapMs, graceMs))
      .count({ name: "sessions" })
      .toStream()
      .to("out", { key: sessionWindowedSerde(str), value: long });
    const driver = new TopologyTestDriver(b.build());
    return {
      driver,
      input: driver.createInputTopic("clicks", str, str),
      out: driver.createOutputTopic("out", sessionWindowedSerde(str), long),
    };
  }
  const show = (rs: { key: Windowed<string> | null; value: number | null }[]) =>
    rs.map((r) => `${r.key!.key}[${r.key!.window.start},${r.key!.window.end}]=${r.value}`);

  it("records within the gap extend a session; a bridging record merges two sessions", () => {
    const { driver, input, out } = sessions(10, 100);
    input.pipeInput("u", "x", 0);
    input.pipeInput("u", "x", 5);
    input.pipeInput("u", "x", 24); // more than the gap after 5: a new session
    input.pipeInput("u", "x", 14); // within 10 of both: merges [0,5] and [24,24]
    expect(show(out.readRecordsToList())).toEqual([
      "u[0,0]=1",
      "u[0,0]=null",
      "u[0,5]=2",
      "u[24,24]=1",
      "u[0,5]=null",
      "u[24,24]=null",
      "u[0,24]=4",
    ]);
    expect(driver.getSessionStore<string, number>("sessions").fetch("u")).toEqual([{ start: 0, end: 24, value: 4 }]);
  });

  it("a record whose session closed (end < stream time - gap - grace) is dropped", () => {
    const { input, out } = sessions(10, 5);
    input.pipeInput("u", "x", 0);
    input.pipeInput("v", "x", 100);
    input.pipeInput("u", "x", 3); // session [0,3] ends before 100 - 10 - 5
    expect(show(out.readRecordsToList())).toEqual(["u[0,0]=1", "v[100,100]=1"]);
  });
});

describe("suppress over session windows", () => {
  it("emits only the final merged session, no tombstones for sessions merged before they closed", () => {
    const b = new StreamsBuilder();
    b.stream("clicks", { key: str, value: str })
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 5))
      .count()
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to("out", { key: sessionWindowedSerde(str), value: long });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("clicks", str, str);
    // 16 starts a second session; 10 bridges both before either closed (end + gap + grace).
    for (const ts of [0, 5, 16, 10, 100]) input.pipeInput("u", "x", ts);
    const out = driver.createOutputTopic("out", sessionWindowedSerde(str), long).readRecordsToList();
    expect(out.map((r) => [r.key!.window.start, r.key!.window.end, r.value])).toEqual([[0, 16, 4]]);
  });
});
