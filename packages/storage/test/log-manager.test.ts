import { readdir } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { LogManager } from "../src/index.js";
import { makeBatch } from "./batches.js";
import { tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];

/** The directory's entries without the manager's `.lock` (held while it is open). */
async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== ".lock");
}
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("LogManager", () => {
  it("creates, lists, reopens and deletes partition logs", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    let manager = await LogManager.open(dir);
    const a0 = await manager.getOrCreateLog("orders", 0);
    const a1 = await manager.getOrCreateLog("orders", 1);
    const b0 = await manager.getOrCreateLog("my-topic.v2", 0, { segmentBytes: 1 << 20 });
    expect(await manager.getOrCreateLog("orders", 0)).toBe(a0);
    await a0.append(makeBatch([{ value: "x" }, { value: "y" }]));
    await a1.append(makeBatch([{ value: "z" }]));
    await b0.append(makeBatch([{ value: "w" }]));
    expect((await listDir(dir)).sort()).toEqual(["my-topic.v2-0", "orders-0", "orders-1"]);
    await manager.close();

    manager = await LogManager.open(dir);
    const listed = manager
      .allLogs()
      .map(({ topicPartition, log }) => [topicPartition.topic, topicPartition.partition, log.logEndOffset]);
    expect(listed.sort()).toEqual([
      ["my-topic.v2", 0, 1],
      ["orders", 0, 2],
      ["orders", 1, 1],
    ]);
    expect(await manager.deleteLog("orders", 1)).toBe(true);
    expect(await manager.deleteLog("orders", 1)).toBe(false);
    expect(manager.getLog("orders", 1)).toBeUndefined();
    await manager.awaitDeletions();
    expect((await listDir(dir)).sort()).toEqual(["my-topic.v2-0", "orders-0"]);
    await manager.close();
  });

  it("finishes an interrupted deletion at start-up", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(`${dir}/gone-0.0123456789abcdef0123456789abcdef-delete`);
    await writeFile(`${dir}/gone-0.0123456789abcdef0123456789abcdef-delete/00000000000000000000.log`, "");
    const manager = await LogManager.open(dir);
    expect(manager.allLogs()).toEqual([]);
    await manager.awaitDeletions();
    expect(await listDir(dir)).toEqual([]);
    await manager.close();
  });
});
