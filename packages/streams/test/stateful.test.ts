// Aggregations, tables and joins through the TopologyTestDriver (no broker).
import { describe, expect, it } from "vitest";
import {
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  Serdes,
  Stores,
  StreamsBuilder,
  TopologyTestDriver,
} from "../src/index.js";

const str = Serdes.string();
const long = Serdes.int64();

describe("grouped aggregations", () => {
  it("word count: flatMapValues + groupBy (repartition) + count, store and changelog agree", () => {
    const b = new StreamsBuilder();
    b.stream("text", { key: str, value: str })
      .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
      .groupBy((_k, word) => word, { key: str, value: str })
      .count({ name: "counts" })
      .toStream()
      .to("word-counts", { key: str, value: long });
    const driver = new TopologyTestDriver(b.build(), { applicationId: "wc" });
    const input = driver.createInputTopic("text", str, str);
    input.pipeInput(null, "the cat");
    input.pipeInput(null, "The dog and the cat");
    const out = driver.createOutputTopic("word-counts", str, long);
    expect(out.readKeyValuesToMap()).toEqual(
      new Map([
        ["the", 3],
        ["cat", 2],
        ["dog", 1],
        ["and", 1],
      ]),
    );
    expect(driver.getKeyValueStore<string, number>("counts").get("the")).toBe(3);
    expect(driver.producedTopicNames().sort()).toEqual(["wc-counts-changelog", "wc-counts-repartition", "word-counts"]);
    expect(driver.createOutputTopic("wc-counts-changelog", str, long).readValuesToList()).toEqual([
      1, 1, 2, 1, 1, 3, 2,
    ]);
  });

  it("reduce and aggregate skip null keys and values", () => {
    const b = new StreamsBuilder();
    const grouped = b.stream("in", { key: str, value: Serdes.int32() }).groupByKey();
    grouped
      .reduce((a, v) => a + v, { name: "sum", value: Serdes.int32() })
      .toStream()
      .to("sum", { value: Serdes.int32() });
    grouped
      .aggregate(
        () => [] as number[],
        (_k, v, agg) => [...agg, v],
        { name: "list", value: Serdes.json<number[]>() },
      )
      .toStream()
      .to("list", { value: Serdes.json<number[]>() });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", str, Serdes.int32());
    input.pipeInput("a", 1);
    input.pipeInput(null, 5);
    input.pipeInput("a", null);
    input.pipeInput("a", 2);
    input.pipeInput("b", 7);
    expect(driver.createOutputTopic("sum", str, Serdes.int32()).readKeyValuesToList()).toEqual([
      ["a", 1],
      ["a", 3],
      ["b", 7],
    ]);
    expect(driver.getKeyValueStore<string, number[]>("list").get("a")).toEqual([1, 2]);
  });
});

describe("tables and joins", () => {
  it("stream-table join: inner drops misses, left joins null, tombstones delete the row", () => {
    const b = new StreamsBuilder();
    const users = b.table("users", { key: str, value: str, name: "users-store" });
    const clicks = b.stream("clicks", { key: str, value: str });
    clicks.join(users, (page, region) => `${page}@${region}`).to("inner", { value: str });
    clicks.leftJoin(users, (page, region) => `${page}@${region ?? "none"}`).to("left", { value: str });
    const driver = new TopologyTestDriver(b.build());
    const u = driver.createInputTopic("users", str, str);
    const c = driver.createInputTopic("clicks", str, str);
    c.pipeInput("alice", "home");
    u.pipeInput("alice", "eu");
    c.pipeInput("alice", "cart");
    u.pipeInput("alice", null);
    c.pipeInput("alice", "exit");
    expect(driver.createOutputTopic("inner", str, str).readValuesToList()).toEqual(["cart@eu"]);
    expect(driver.createOutputTopic("left", str, str).readValuesToList()).toEqual([
      "home@none",
      "cart@eu",
      "exit@none",
    ]);
    expect(driver.getKeyValueStore<string, string>("users-store").get("alice")).toBeNull();
  });

  it("table filter/mapValues and table-table joins follow updates and deletes from both sides", () => {
    const b = new StreamsBuilder();
    const left = b.table("l", { key: str, value: Serdes.int32() }).filter((_k, v) => v > 0);
    const right = b.table("r", { key: str, value: str }).mapValues((v) => v.toUpperCase());
    left
      .join(right, (n, s) => `${s}${n}`)
      .toStream()
      .to("inner", { value: str });
    left
      .outerJoin(right, (n, s) => `${s ?? "-"}${n ?? "-"}`)
      .toStream()
      .to("outer", { value: str });
    const driver = new TopologyTestDriver(b.build());
    const l = driver.createInputTopic("l", str, Serdes.int32());
    const r = driver.createInputTopic("r", str, str);
    l.pipeInput("k", 1);
    r.pipeInput("k", "a");
    l.pipeInput("k", 2);
    l.pipeInput("k", -5); // filtered out: the row disappears from the left table
    r.pipeInput("k", null);
    expect(driver.createOutputTopic("inner", str, str).readValuesToList()).toEqual(["A1", "A2", null]);
    expect(driver.createOutputTopic("outer", str, str).readValuesToList()).toEqual(["-1", "A1", "A2", "A-", null]);
  });

  it("KStream.toTable keeps the latest value per key", () => {
    const b = new StreamsBuilder();
    b.stream("in", { key: str, value: str }).toTable({ name: "latest" });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", str, str);
    input.pipeInput("a", "1");
    input.pipeInput("a", "2");
    input.pipeInput("b", "3");
    expect(driver.getKeyValueStore<string, string>("latest").all()).toEqual([
      ["a", "2"],
      ["b", "3"],
    ]);
  });
});

describe("re-grouped tables", () => {
  it("table.groupBy().count() moves a row's count when its group changes and drops it on delete", () => {
    const b = new StreamsBuilder();
    b.table("users", { key: str, value: str })
      .groupBy((_user, region) => [region, region], { key: str, value: str })
      .count({ name: "per-region" })
      .toStream()
      .to("out", { key: str, value: long });
    const driver = new TopologyTestDriver(b.build(), { applicationId: "app" });
    const users = driver.createInputTopic("users", str, str);
    users.pipeInput("ann", "eu");
    users.pipeInput("bob", "eu");
    users.pipeInput("ann", "us"); // ann moves: eu 2 -> 1, us 0 -> 1
    users.pipeInput("bob", null); // bob leaves: eu 1 -> 0
    expect(driver.createOutputTopic("out", str, long).readKeyValuesToList()).toEqual([
      ["eu", 1],
      ["eu", 2],
      ["eu", 1],
      ["us", 1],
      ["eu", 0],
    ]);
    expect(driver.producedTopicNames()).toContain("app-per-region-repartition");
  });

  it("table.groupBy().aggregate() with adder and subtractor keeps a sum per group", () => {
    const b = new StreamsBuilder();
    b.table("accounts", { key: str, value: Serdes.json<{ owner: string; balance: number }>() })
      .groupBy((_id, a) => [a.owner, a.balance], { key: str, value: Serdes.int32() })
      .aggregate(
        () => 0,
        (_owner, v, sum) => sum + v,
        (_owner, v, sum) => sum - v,
        { name: "totals", value: Serdes.int32() },
      );
    const driver = new TopologyTestDriver(b.build());
    const accounts = driver.createInputTopic("accounts", str, Serdes.json<{ owner: string; balance: number }>());
    accounts.pipeInput("a1", { owner: "ann", balance: 10 });
    accounts.pipeInput("a2", { owner: "ann", balance: 5 });
    accounts.pipeInput("a1", { owner: "ann", balance: 7 });
    accounts.pipeInput("a2", { owner: "bob", balance: 5 });
    const totals = driver.getKeyValueStore<string, number>("totals");
    expect([totals.get("ann"), totals.get("bob")]).toEqual([7, 5]);
  });
});

describe("Processor API", () => {
  it("process() with a store and stream-time and wall-clock punctuators", () => {
    const b = new StreamsBuilder();
    b.addStateStore(Stores.keyValueStore({ name: "seen", key: str, value: long }));
    const punctuations: string[] = [];
    b.stream("in", { key: str, value: str })
      .process(() => {
        let ctx: ProcessorContext<string, number>;
        let store: KeyValueStore<string, number>;
        const p: Processor<string, string, string, number> = {
          init(c) {
            ctx = c;
            store = c.getStateStore("seen");
            c.schedule(100, "stream-time", (t) => punctuations.push(`stream@${t}`));
            c.schedule(1000, "wall-clock-time", (t) => {
              punctuations.push(`wall@${t}`);
              for (const [k, n] of store.all()) ctx.forward({ key: k, value: n, timestamp: t });
            });
          },
          process(r) {
            store.put(r.key, (store.get(r.key) ?? 0) + 1);
            expect(ctx.recordMetadata()?.topic).toBe("in");
          },
        };
        return p;
      }, "seen")
      .to("out", { key: str, value: long });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", str, str);
    input.pipeInput("a", "x", 50);
    input.pipeInput("a", "x", 120);
    input.pipeInput("b", "x", 130);
    input.pipeInput("b", "x", 330);
    expect(punctuations).toEqual(["stream@120", "stream@330"]);
    driver.advanceWallClockTime(999);
    expect(driver.createOutputTopic("out", str, long).isEmpty()).toBe(true);
    driver.advanceWallClockTime(1);
    expect(punctuations.at(-1)).toBe("wall@1000");
    expect(driver.createOutputTopic("out", str, long).readKeyValuesToList()).toEqual([
      ["a", 2],
      ["b", 2],
    ]);
  });

  it("a processor asking for a store it is not connected to gets an error naming both", () => {
    const b = new StreamsBuilder();
    b.addStateStore(Stores.keyValueStore({ name: "s", key: str, value: str }));
    b.stream("in", { key: str, value: str }).process(() => ({
      init: (c: ProcessorContext<never, never>) => void c.getStateStore("s"),
      process: () => {},
    }));
    expect(() => new TopologyTestDriver(b.build())).toThrow(/not connected to a store named s/);
  });
});

describe("global tables", () => {
  it("a stream joins a global table by a key computed from the record, no repartition", () => {
    const b = new StreamsBuilder();
    const products = b.globalTable("products", { key: str, value: Serdes.json<{ name: string }>(), name: "products" });
    const orders = b.stream("orders", { key: str, value: Serdes.json<{ productId: string; qty: number }>() });
    orders
      .joinGlobal(
        products,
        (_k, o) => o.productId,
        (o, p) => `${o.qty} x ${p.name}`,
      )
      .to("inner", { value: str });
    orders
      .leftJoinGlobal(
        products,
        (_k, o) => o.productId,
        (o, p) => `${o.qty} x ${p?.name ?? "?"}`,
      )
      .to("left", { value: str });
    const topology = b.build();
    expect(topology.subtopologies()).toHaveLength(1);
    expect(topology.internalTopics.size).toBe(0);
    const driver = new TopologyTestDriver(topology);
    const p = driver.createInputTopic("products", str, Serdes.json<{ name: string }>());
    const o = driver.createInputTopic("orders", str, Serdes.json<{ productId: string; qty: number }>());
    p.pipeInput("p1", { name: "pen" });
    o.pipeInput("o1", { productId: "p1", qty: 2 });
    o.pipeInput("o2", { productId: "p9", qty: 1 });
    p.pipeInput("p1", null);
    o.pipeInput("o3", { productId: "p1", qty: 5 });
    expect(driver.createOutputTopic("inner", str, str).readValuesToList()).toEqual(["2 x pen"]);
    expect(driver.createOutputTopic("left", str, str).readValuesToList()).toEqual(["2 x pen", "1 x ?", "5 x ?"]);
    expect(driver.getKeyValueStore<string, { name: string }>("products").get("p1")).toBeNull();
  });
});
