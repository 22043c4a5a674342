// The high watermark checkpoint file: Kafka's text format both ways, bad files named and ignored
// (the broker starts without them), a missing file meaning "no checkpoint", writes atomic.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  HW_CHECKPOINT_FILE,
  HighWatermarkCheckpoint,
  parseHwCheckpoint,
  serializeHwCheckpoint,
} from "../../src/replication/hw-checkpoint.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gregor-hw-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("replication-offset-checkpoint", () => {
  it("writes Kafka's format and reads it back", async () => {
    const errors: unknown[] = [];
    const cp = HighWatermarkCheckpoint.load(dir, (e) => errors.push(e));
    expect(cp.startingHighWatermark("t", 0)).toBeUndefined(); // no file: the HW follows the log
    await cp.write([
      { topic: "orders", partition: 0, offset: 42 },
      { topic: "orders", partition: 1, offset: 7 },
    ]);
    expect(await readFile(join(dir, HW_CHECKPOINT_FILE), "utf8")).toBe("0\n2\norders 0 42\norders 1 7\n");
    const again = HighWatermarkCheckpoint.load(dir, (e) => errors.push(e));
    expect(again.startingHighWatermark("orders", 0)).toBe(42);
    expect(again.startingHighWatermark("orders", 1)).toBe(7);
    // A partition the checkpoint does not name starts with nothing committed (Kafka's default).
    expect(again.startingHighWatermark("orders", 2)).toBe(0);
    again.writeNow([{ topic: "x", partition: 3, offset: 5 }]);
    expect(parseHwCheckpoint(await readFile(join(dir, HW_CHECKPOINT_FILE), "utf8"))).toEqual(
      new Map([["x\u00003", 5]]),
    );
    expect(errors).toEqual([]);
  });

  it("names what is wrong with a bad file and starts without it", async () => {
    expect(() => parseHwCheckpoint("1\n0\n")).toThrow(/version 1/);
    expect(() => parseHwCheckpoint("0\n2\nt 0 1\n")).toThrow(/1 entries, header says 2/);
    expect(() => parseHwCheckpoint("0\n1\nt zero 1\n")).toThrow(/malformed line "t zero 1"/);
    expect(() => parseHwCheckpoint("0\n1\nt 0 -4\n")).toThrow(/malformed/);
    expect(serializeHwCheckpoint([])).toBe("0\n0\n");
    await writeFile(join(dir, HW_CHECKPOINT_FILE), "garbage");
    const errors: unknown[] = [];
    const cp = HighWatermarkCheckpoint.load(dir, (e) => errors.push(e));
    expect(errors).toHaveLength(1);
    expect(cp.startingHighWatermark("t", 0)).toBe(0);
  });
});
