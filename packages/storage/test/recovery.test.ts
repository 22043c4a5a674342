import { open, readFile, readdir, stat, writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Log } from "../src/index.js";
import { batchesIn, makeSizedBatch } from "./batches.js";
import { copyCrashImage, memoryLogger, tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const SEG0 = "00000000000000000000";
const OPTIONS = { indexIntervalBytes: 256, tailCacheBytes: 0 };

/** A log with 40 batches of ~200 bytes (2 records each), left as after a crash (no close). */
async function crashedLog(options = OPTIONS): Promise<{ dir: string; sizes: number[] }> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const log = await Log.open(dir, options);
  const sizes: number[] = [];
  for (let i = 0; i < 40; i++) {
    const batch = makeSizedBatch(2, 200, { baseTimestamp: 5000 + i });
    sizes.push(batch.length);
    await log.append(batch);
  }
  // A crash image: the files as they are now (no clean-shutdown marker, no final index), copied
  // while the log is open; the original is then closed so no file handle is left to the GC.
  const image = `${dir}-crash`;
  await copyCrashImage(dir, image);
  cleanups.push(() => rm(image, { recursive: true, force: true }));
  await log.close();
  return { dir: image, sizes };
}

async function allBatches(log: Log): Promise<number[]> {
  const out: number[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const r = await log.read(next, 1 << 20);
    for (const b of batchesIn(r.buffers)) {
      out.push(b.baseOffset);
      next = b.lastOffset + 1;
    }
  }
  return out;
}

async function flipByte(path: string, position: number): Promise<void> {
  const fh = await open(path, "r+");
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, position);
  b[0] = b[0]! ^ 0x5a;
  await fh.write(b, 0, 1, position);
  await fh.close();
}

describe("crash recovery and corruption", () => {
  it("reopens after a clean close without scanning and with identical contents", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir, OPTIONS);
    for (let i = 0; i < 20; i++) await log.append(makeSizedBatch(2, 200));
    await log.close();
    expect((await readdir(dir)).sort()).toEqual(
      [
        ".kafka_cleanshutdown",
        `${SEG0}.index`,
        `${SEG0}.log`,
        `${SEG0}.timeindex`,
        "leader-epoch-checkpoint",
        "log-checkpoint",
      ].sort(),
    );
    const logger = memoryLogger();
    const reopened = await Log.open(dir, { ...OPTIONS, logger });
    expect(logger.lines.filter((l) => l.level === "warn")).toEqual([]);
    expect(reopened.logEndOffset).toBe(40);
    expect(reopened.recoveryPoint).toBe(40);
    expect(await allBatches(reopened)).toHaveLength(20);
    // The marker is removed while the log is open, so a crash from here on is detected.
    expect((await readdir(dir)).includes(".kafka_cleanshutdown")).toBe(false);
    await reopened.close();
  });

  it("truncates a torn tail batch and reports the dropped bytes", async () => {
    const { dir, sizes } = await crashedLog();
    const logPath = join(dir, `${SEG0}.log`);
    const full = (await stat(logPath)).size;
    const fh = await open(logPath, "r+");
    await fh.truncate(full - 50); // the last batch is torn
    await fh.close();
    const logger = memoryLogger();
    const log = await Log.open(dir, { ...OPTIONS, logger });
    expect(log.logEndOffset).toBe(78);
    expect(log.activeSegmentBytes).toBe(full - sizes[39]!);
    const warn = logger.lines.find((l) => l.msg?.includes("recovery truncated"));
    expect(warn?.obj).toMatchObject({ truncatedBytes: sizes[39]! - 50 });
    expect((await log.append(makeSizedBatch(1, 100))).baseOffset).toBe(78);
    await log.close();
  });

  it("truncates at the first batch whose CRC fails, dropping everything after it", async () => {
    const { dir, sizes } = await crashedLog();
    const logPath = join(dir, `${SEG0}.log`);
    const full = (await stat(logPath)).size;
    // Corrupt a byte inside the records of batch #30 (CRC-covered region).
    const batch30 = sizes.slice(0, 30).reduce((a, b) => a + b, 0);
    await flipByte(logPath, batch30 + 100);
    const logger = memoryLogger();
    const log = await Log.open(dir, { ...OPTIONS, logger });
    expect(log.logEndOffset).toBe(60);
    expect(await allBatches(log)).toEqual(Array.from({ length: 30 }, (_, i) => 2 * i));
    const warn = logger.lines.find((l) => l.msg?.includes("recovery truncated"));
    expect(warn?.obj).toMatchObject({ truncatedBytes: full - batch30, problem: "CRC mismatch" });
    await log.close();
  });

  it("flags a corrupt length field and truncates there", async () => {
    const { dir, sizes } = await crashedLog();
    const logPath = join(dir, `${SEG0}.log`);
    const batch35 = sizes.slice(0, 35).reduce((a, b) => a + b, 0);
    await flipByte(logPath, batch35 + 8); // high byte of batchLength
    const logger = memoryLogger();
    const log = await Log.open(dir, { ...OPTIONS, logger });
    expect(log.logEndOffset).toBe(70);
    expect(logger.lines.some((l) => l.level === "warn" && l.msg?.includes("recovery truncated"))).toBe(true);
    await log.close();
  });

  it("rebuilds a corrupt index file after a clean shutdown and reports it", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir, OPTIONS);
    for (let i = 0; i < 40; i++) await log.append(makeSizedBatch(2, 200));
    await log.close();
    const indexPath = join(dir, `${SEG0}.index`);
    const original = await readFile(indexPath);
    expect(original.length).toBeGreaterThan(16);
    await flipByte(indexPath, 12); // high byte of the second entry's position
    const logger = memoryLogger();
    const reopened = await Log.open(dir, { ...OPTIONS, logger });
    expect(logger.lines.some((l) => l.level === "warn" && l.msg?.includes("rebuilding"))).toBe(true);
    expect(reopened.logEndOffset).toBe(80);
    expect(batchesIn((await reopened.read(41, 1)).buffers)[0]!.baseOffset).toBe(40);
    await reopened.close();
    // The rebuilt index was written back, identical to the original.
    expect(await readFile(indexPath)).toEqual(original);
  });

  it("rebuilds missing indexes and a garbage time index", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir, OPTIONS);
    for (let i = 0; i < 10; i++) await log.append(makeSizedBatch(2, 200, { baseTimestamp: 100 + i }));
    await log.close();
    await rm(join(dir, `${SEG0}.index`));
    await writeFile(join(dir, `${SEG0}.timeindex`), Buffer.alloc(13, 0xff));
    const logger = memoryLogger();
    const reopened = await Log.open(dir, { ...OPTIONS, logger });
    expect(logger.lines.some((l) => l.msg?.includes("rebuilding"))).toBe(true);
    expect(await reopened.offsetForTimestamp(105)).toMatchObject({ offset: 10 });
    await reopened.close();
  });

  it("recovers every segment after the recovery point and keeps the leader epochs", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir, { ...OPTIONS, segmentBytes: 2000 });
    for (let i = 0; i < 30; i++) await log.append(makeSizedBatch(2, 200), { leaderEpoch: i < 15 ? 4 : 6 });
    expect(log.segmentCount).toBeGreaterThan(2);
    // Crash: a copy of the files while the log is open (opening the live directory a second time
    // would race with its background checkpoint writes). Remove the epoch checkpoint to prove
    // recovery rebuilds it from batches.
    const crashed = await tempDir();
    cleanups.unshift(async () => {
      await log.close(); // before its directory is removed
      await crashed.cleanup();
    });
    await copyCrashImage(dir, crashed.dir);
    await rm(join(crashed.dir, "leader-epoch-checkpoint"));
    const reopened = await Log.open(crashed.dir, { ...OPTIONS, segmentBytes: 2000 });
    expect(reopened.logEndOffset).toBe(60);
    expect(reopened.leaderEpochCache.latestEpoch).toBe(6);
    expect(reopened.leaderEpochCache.endOffsetFor(6, reopened.logEndOffset)).toEqual({ leaderEpoch: 6, endOffset: 60 });
    expect(await allBatches(reopened)).toHaveLength(30);
    await reopened.close();
  });
});
