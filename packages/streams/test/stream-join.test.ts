// Stream-stream joins through the TopologyTestDriver: the join window, duplicates, and leftJoin's
// null results emitted only after the window closes (KIP-633).
import { describe, expect, it } from "vitest";
import { JoinWindows, Serdes, StreamsBuilder, TopologyTestDriver } from "../src/index.js";

const str = Serdes.string();

function joined(kind: "inner" | "left", windows: JoinWindows) {
  const b = new StreamsBuilder();
  const views = b.stream("views", { key: str, value: str });
  const clicks = b.stream("clicks", { key: str, value: str });
  const out =
    kind === "inner"
      ? views.join(clicks, (v, c) => `${v}+${c}`, windows)
      : views.leftJoin(clicks, (v, c) => `${v}+${c ?? "null"}`, windows);
  out.to("out", { key: str, value: str });
  const driver = new TopologyTestDriver(b.build());
  return {
    views: driver.createInputTopic("views", str, str),
    clicks: driver.createInputTopic("clicks", str, str),
    out: driver.createOutputTopic("out", str, str),
  };
}

describe("stream-stream joins", () => {
  it("inner join pairs records of a key within the time difference, both directions, with duplicates", () => {
    const { views, clicks, out } = joined("inner", JoinWindows.ofTimeDifferenceAndGrace(10, 100));
    views.pipeInput("k", "v1", 100);
    clicks.pipeInput("k", "c1", 105); // within 10 after v1
    clicks.pipeInput("k", "c2", 120); // 20 after v1: no
    views.pipeInput("k", "v2", 112); // within 10 of c1 (7 before) and c2 (8 after)
    clicks.pipeInput("other", "c3", 100); // other key: no
    views.pipeInput("k", "v3", 112); // a second view at the same time joins too
    expect(out.readRecordsToList()).toEqual([
      { key: "k", value: "v1+c1", timestamp: 105 },
      { key: "k", value: "v2+c1", timestamp: 112 },
      { key: "k", value: "v2+c2", timestamp: 120 },
      { key: "k", value: "v3+c1", timestamp: 112 },
      { key: "k", value: "v3+c2", timestamp: 120 },
    ]);
  });

  it("leftJoin emits (value, null) only once the window closed without a match", () => {
    const { views, clicks, out } = joined("left", JoinWindows.ofTimeDifferenceAndGrace(10, 5));
    views.pipeInput("a", "va", 100);
    views.pipeInput("b", "vb", 100);
    clicks.pipeInput("a", "ca", 108); // a matched
    expect(out.readValuesToList()).toEqual(["va+ca"]);
    clicks.pipeInput("z", "cz", 115); // stream time 115 = 100 + 10 + 5: not yet closed
    expect(out.readValuesToList()).toEqual([]);
    clicks.pipeInput("z", "cz", 116); // closed: b never matched
    expect(out.readKeyValuesToList()).toEqual([["b", "vb+null"]]);
  });
});
