// Compaction's segment swaps: crash recovery at each step, merged groups, and the LogCleaner.
import { copyFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Log, LogCleaner, LogManager, type LogOptions } from "../src/index.js";
import { copyCrashImage, memoryLogger, openTempLog, tempDir } from "./helpers.js";
import { OPTIONS, T0, put, records, type Rec } from "./compaction-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const openDir = (options: LogOptions = OPTIONS): Promise<{ log: Log; dir: string }> => openTempLog(cleanups, options);

describe("log compaction: swaps, crashes and the cleaner", () => {
  it("recovers a consistent log after a crash at each step of the swap", async () => {
    const { log, dir } = await openDir();
    for (let i = 0; i < 30; i++) await put(log, [[`k${i % 3}`, `v${i}`.repeat(5)]]);
    const original = await records(log);
    await log.close();
    // The compacted result, computed in a copy.
    const compactedDir = `${dir}-compacted`;
    cleanups.push(() => rm(compactedDir, { recursive: true, force: true }));
    await copyCrashImage(dir, compactedDir);
    const c = await Log.open(compactedDir, OPTIONS);
    await c.compact(T0);
    const compacted = await records(c);
    await c.close();
    expect(compacted.length).toBeLessThan(original.length);
    const cleanedBases = (await readdir(compactedDir)).filter((n) => n.endsWith(".log")).sort();
    const originalLogs = (await readdir(dir)).filter((n) => n.endsWith(".log")).sort();
    const firstCleaned = cleanedBases[0]!;
    expect(firstCleaned).toBe(originalLogs[0]);
    // Each original segment is its own group (600-byte segments): the first swap replaces the first one.
    const secondBase = Number(originalLogs[1]!.slice(0, 20));
    const firstSwapped = [
      ...compacted.filter((r) => r.offset < secondBase),
      ...original.filter((r) => r.offset >= secondBase),
    ];
    expect(firstSwapped.length).toBeLessThan(original.length);

    const scenario = async (name: string, build: (d: string) => Promise<void>, expected: Rec[]): Promise<void> => {
      const d = `${dir}-${name}`;
      cleanups.push(() => rm(d, { recursive: true, force: true }));
      await copyCrashImage(dir, d);
      await rm(join(d, ".kafka_cleanshutdown"), { force: true });
      await build(d);
      const logger = memoryLogger();
      const l = await Log.open(d, { ...OPTIONS, logger });
      expect(await records(l), name).toEqual(expected);
      expect(l.logEndOffset).toBe(30);
      expect(
        (await readdir(d)).filter((n) => /\.(swap|cleaned|deleted)$/.test(n)),
        name,
      ).toEqual([]);
      await put(l, [["k0", "after"]]);
      expect((await records(l)).at(-1)!.offset).toBe(30);
      await l.close();
    };
    const copyCleaned = async (d: string, suffix: string): Promise<void> => {
      for (const kind of [".log", ".index", ".timeindex"]) {
        await copyFile(
          join(compactedDir, firstCleaned.replace(".log", kind)),
          join(d, firstCleaned.replace(".log", kind + suffix)),
        );
      }
    };
    // Crash while writing `.cleaned`: the clean is abandoned.
    await scenario("cleaned", (d) => copyCleaned(d, ".cleaned"), original);
    // Crash after the commit point (`.log.swap` exists), before the old segments were renamed.
    await scenario("swap", (d) => copyCleaned(d, ".swap"), firstSwapped);
    // Crash after some old segments were renamed `.deleted`.
    await scenario(
      "deleted",
      async (d) => {
        await copyCleaned(d, ".swap");
        const n = originalLogs[0]!;
        await copyFile(join(d, n), join(d, `${n}.deleted`));
        await rm(join(d, n));
      },
      firstSwapped,
    );
    // Crash with only the index files renamed to `.swap` (the log not yet): not committed.
    await scenario(
      "index-swap",
      async (d) => {
        await copyFile(
          join(compactedDir, firstCleaned.replace(".log", ".index")),
          join(d, firstCleaned.replace(".log", ".index.swap")),
        );
      },
      original,
    );
  });

  it("merges small adjacent cleaned segments into one (groups up to segment.bytes)", async () => {
    const { log, dir } = await openDir();
    for (let i = 0; i < 40; i++) await put(log, [[`k${i % 2}`, `v${i}`.repeat(5)]]);
    await log.compact(T0);
    const afterFirst = await records(log);
    const segmentsAfterFirst = log.segmentCount;
    // Each 600-byte segment was its own group; now they hold a record or two each.
    expect(segmentsAfterFirst).toBeGreaterThan(3);
    const stats = await log.compact(T0);
    expect(stats.recordsRemoved).toBe(0);
    expect(stats.segmentsCleaned).toBeGreaterThan(1);
    expect(log.segmentCount).toBeLessThan(segmentsAfterFirst);
    expect(await records(log)).toEqual(afterFirst);
    // Merged and nothing to remove: a third pass leaves everything as it is.
    const bases = log.segmentBaseOffsets();
    expect((await log.compact(T0)).segmentsCleaned).toBe(0);
    expect(log.segmentBaseOffsets()).toEqual(bases);
    await log.close();
    const reopened = await Log.open(dir, OPTIONS);
    expect(await records(reopened)).toEqual(afterFirst);
    await reopened.close();
  });

  it("a crash after the swap of a group whose last segment lost every record leaves a valid log", async () => {
    const { log, dir } = await openDir();
    // Equal-sized batches (2-byte keys): `n` fill a segment exactly.
    const one = async (key: string): Promise<void> => put(log, [[key, "f".repeat(40)]]);
    await one("a0");
    const n = Math.floor(600 / log.activeSegmentBytes);
    expect(n).toBeLessThan(10);
    for (let i = 1; i < n; i++) await one(`a${i}`);
    for (const key of ["yy", "zz", "ww"]) for (let i = 0; i < n; i++) await one(key);
    await one("ww"); // the active segment
    await log.compact(T0); // the yy, zz and ww segments now hold one batch each
    const [, ySeg, zSeg] = log.segmentBaseOffsets();
    expect(log.segmentCount).toBe(5);
    await one("zz"); // zz's record in its own segment becomes obsolete
    const newer = log.logEndOffset - 1;
    for (let i = 0; i < n - 1; i++) await one("ww");
    expect(log.segmentCount).toBe(6);
    const beforePass = await records(log);
    const end = log.logEndOffset;
    await log.close();
    const compactedDir = `${dir}-compacted`;
    cleanups.push(() => rm(compactedDir, { recursive: true, force: true }));
    await copyCrashImage(dir, compactedDir);
    const c = await Log.open(compactedDir, OPTIONS);
    await c.compact(T0);
    // The y and z segments were one group; the cleaned copy ends with y's record (z's went).
    expect(c.segmentBaseOffsets()).toContain(ySeg);
    expect(c.segmentBaseOffsets()).not.toContain(zSeg);
    const compacted = await records(c);
    expect(compacted.filter((r) => r.key === "zz").map((r) => r.offset)).toEqual([newer]);
    await c.close();
    // Crash right after the commit point: `<ySeg>.log.swap` exists, the old segments are live.
    const d = `${dir}-swap`;
    cleanups.push(() => rm(d, { recursive: true, force: true }));
    await copyCrashImage(dir, d);
    await rm(join(d, ".kafka_cleanshutdown"), { force: true });
    const name = (base: number, kind: string): string => `${String(base).padStart(20, "0")}${kind}`;
    for (const kind of [".log", ".index", ".timeindex"])
      await copyFile(join(compactedDir, name(ySeg!, kind)), join(d, name(ySeg!, kind + ".swap")));
    const l = await Log.open(d, OPTIONS);
    // z's segment stays (none of its records survived the clean, so it is past the swap's end):
    // the log is the one before the pass, z's old record not yet compacted away.
    expect(l.segmentBaseOffsets()).toContain(zSeg);
    expect(await records(l)).toEqual(beforePass);
    expect(l.logEndOffset).toBe(end);
    expect((await readdir(d)).filter((n) => /\.(swap|cleaned|deleted)$/.test(n))).toEqual([]);
    await l.compact(T0);
    expect((await records(l)).filter((r) => r.key === "zz").map((r) => r.offset)).toEqual([newer]);
    await l.close();
  });

  it("LogCleaner picks the dirtiest compacted log of a LogManager", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const manager = await LogManager.open(dir, { logOptions: { segmentBytes: 600, tailCacheBytes: 0 } });
    const compacted = await manager.getOrCreateLog("c", 0, { cleanupPolicy: "compact" });
    const plain = await manager.getOrCreateLog("d", 0);
    for (let i = 0; i < 20; i++) {
      await put(compacted, [["k", `v${i}`]]);
      await put(plain, [["k", `v${i}`]]);
    }
    const cleaner = new LogCleaner({ logs: () => manager.allLogs().map((e) => e.log), clock: () => T0 });
    expect(compacted.cleanableRange(T0).dirtyRatio).toBe(1);
    const result = await cleaner.cleanOnce();
    expect(result?.log).toBe(compacted);
    expect(result!.stats.recordsRemoved).toBeGreaterThan(0);
    // Now clean: below the minimum dirty ratio, nothing to do.
    expect(await cleaner.cleanOnce()).toBeUndefined();
    cleaner.start();
    await cleaner.stop();
    await manager.close();
  });
});
