// kafka-python 2.0.2 (Debian python3-kafka): ApiVersions v0 + pipelined Metadata v0 probe, version
// inference from our ApiVersions table, a gzip producer, and a consumer assigned to partitions.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";
import { run } from "./helpers/run.js";
import { suiteBroker } from "@gregor/testkit";

// The Debian package installs into the system interpreter.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

describe("kafka-python 2.0.2", () => {
  let broker!: Broker;
  suiteBroker(startBroker, { config: { "num.partitions": 2 } }, (started) => (broker = started));

  it("produces and consumes with assigned partitions", async () => {
    const r = await run(
      PYTHON,
      [join(__dirname, "fixtures", "kafka_python_assign.py"), broker.bootstrap, "py-topic", "40"],
      { timeoutMs: 45_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(out.produced).toHaveLength(40);
    expect(out.read).toHaveLength(40);
    for (const p of [0, 1]) {
      const inP = out.read.filter((m: { p: number }) => m.p === p);
      expect(inP.map((m: { o: number }) => m.o)).toEqual(inP.map((_: unknown, i: number) => i));
      expect(inP.map((m: { v: string }) => Number(m.v.slice(1)))).toEqual(
        Array.from({ length: 20 }, (_, i) => i * 2 + p),
      );
    }
    expect(out.read[0].h).toEqual([["h", "x"]]);
  });
});
