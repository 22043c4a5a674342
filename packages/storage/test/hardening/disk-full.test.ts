// Issue 13, item 2 on a real full filesystem (a small tmpfs): the free-space floor refuses appends
// with KAFKA_STORAGE_ERROR before the disk is full, keeps everything acknowledged readable (also
// after a restart on the full disk) and lets writes resume once space returns; a real ENOSPC cuts
// the torn write back, takes the dir offline for writes only, and reads keep working.
import { stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE, type Log, LogManager, StorageError } from "../../src/index.js";
import { batchesIn, makeSizedBatch } from "../batches.js";
import { canMount, fill, mountTmpfs, type Tmpfs } from "@gregor/testkit";

const MiB = 1024 * 1024;
const mounted: Tmpfs[] = [];
const managers: LogManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const t of mounted.splice(0)) t.unmount();
});

function tmpfs(bytes: number): string {
  const t = mountTmpfs(bytes);
  mounted.push(t);
  return t.dir;
}

async function openManager(dir: string, minFreeBytes: number): Promise<LogManager> {
  const manager = await LogManager.open(dir, { minFreeBytes, diskCheckIntervalMs: 20 });
  managers.push(manager);
  return manager;
}

/**
 * Appends ~64 KiB batches until one is refused (or `limit` were taken); returns the acknowledged
 * batches (offsets stamped) and the error (undefined if none was refused).
 */
async function appendUntilRefused(log: Log, limit = 10_000): Promise<{ acked: Buffer[]; error: unknown }> {
  const acked: Buffer[] = [];
  for (let i = 0; i < limit; i++) {
    const batch = makeSizedBatch(16, 64 * 1024);
    try {
      await log.append(batch);
      acked.push(batch);
    } catch (error) {
      return { acked, error };
    }
  }
  return { acked, error: undefined };
}

/** Everything the log holds, as one buffer. */
async function readAll(log: Log): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 4 * MiB);
    const batches = batchesIn(r.buffers);
    expect(batches.length).toBeGreaterThan(0);
    parts.push(...r.buffers);
    offset = batches[batches.length - 1]!.lastOffset + 1;
  }
  return Buffer.concat(parts);
}

function expectStorageError(error: unknown, pattern: RegExp): void {
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).code).toBe("KAFKA_STORAGE_ERROR");
  expect((error as Error).message).toMatch(pattern);
}

describe.skipIf(!canMount)("full disk (tmpfs)", () => {
  it("refuses appends below gregor.storage.min.free.bytes, serves what it has, resumes when space returns", async () => {
    const dir = tmpfs(24 * MiB);
    let manager = await openManager(dir, 4 * MiB);
    let log = await manager.getOrCreateLog("orders", 0, { segmentBytes: 2 * MiB });
    const first = await appendUntilRefused(log);
    expectStorageError(first.error, /below gregor\.storage\.min\.free\.bytes=4194304/);
    expect(first.acked.length).toBeGreaterThan(100);
    // Refused with room left: the floor held (within one check interval's appends).
    await manager.diskSpace.refresh();
    expect(manager.diskSpace.freeBytes).toBeGreaterThan(3 * MiB);
    const expected = Buffer.concat(first.acked);
    expect((await readAll(log)).equals(expected)).toBe(true);
    // Internal topics (offsets commits) still append below the floor.
    const offsets = await manager.getOrCreateLog("__consumer_offsets", 0);
    await offsets.append(makeSizedBatch(1, 1024));

    // Restart on the full disk: it opens and serves everything.
    await manager.close();
    managers.splice(managers.indexOf(manager), 1);
    manager = await openManager(dir, 4 * MiB);
    log = manager.getLog("orders", 0)!;
    expect((await readAll(log)).equals(expected)).toBe(true);
    await expect(log.append(makeSizedBatch(16, 64 * 1024))).rejects.toThrow(/min\.free\.bytes/);

    // Space returns (retention, an operator): appends resume without a restart.
    await manager.getOrCreateLog("scratch", 0); // a dir to show the floor is per dir, not per log
    const segments = log.segmentBaseOffsets();
    await log.deleteRecordsBefore(segments[Math.floor(segments.length / 2)]!);
    await new Promise((r) => setTimeout(r, 100));
    const resumed = await appendUntilRefused(log, 8);
    expect(resumed.error).toBeUndefined();
  });

  it("a real ENOSPC: the torn write is cut back, the dir goes offline for writes, reads keep working", async () => {
    const dir = tmpfs(12 * MiB);
    const manager = await openManager(dir, 0); // no floor: the write itself fails
    const log = await manager.getOrCreateLog("orders", 0, { segmentBytes: 64 * MiB });
    const other = await manager.getOrCreateLog("audit", 0);
    await other.append(makeSizedBatch(1, 1024));
    const { acked, error } = await appendUntilRefused(log);
    expectStorageError(error, /ENOSPC|no space/i);
    expect(acked.length).toBeGreaterThan(50);
    const expected = Buffer.concat(acked);
    expect((await readAll(log)).equals(expected)).toBe(true);
    // The partial batch is gone from the file.
    await new Promise((r) => setTimeout(r, 50));
    expect((await stat(join(dir, "orders-0", "00000000000000000000.log"))).size).toBe(expected.length);
    // The whole dir refuses appends now (Kafka's offline log dir); reads of every log continue.
    expect(manager.offlineError).toBeDefined();
    await expect(other.append(makeSizedBatch(1, 1024))).rejects.toThrow(/offline/);
    expect(batchesIn((await other.read(0, MiB)).buffers)).toHaveLength(1);
    await manager.close();
    managers.splice(managers.indexOf(manager), 1);
    // A restart on the still-full disk recovers and serves everything acknowledged.
    const reopened = await openManager(dir, 0);
    expect((await readAll(reopened.getLog("orders", 0)!)).equals(expected)).toBe(true);
  });

  it("a filesystem filled by someone else: the floor refuses before the write can fail", async () => {
    const dir = tmpfs(16 * MiB);
    const manager = await openManager(dir, 2 * MiB);
    const log = await manager.getOrCreateLog("orders", 0);
    await log.append(makeSizedBatch(16, 64 * 1024));
    await fill(join(dir, "filler"), 13 * MiB);
    await new Promise((r) => setTimeout(r, 100));
    const { acked, error } = await appendUntilRefused(log);
    expectStorageError(error, /min\.free\.bytes/);
    expect(manager.offlineError).toBeUndefined();
    await unlink(join(dir, "filler"));
    await new Promise((r) => setTimeout(r, 100));
    expect((await appendUntilRefused(log, 5)).error).toBeUndefined();
    expect(acked.length).toBeLessThan(40);
  });

  it("a disk full to the last block still gets its lock (empty, judged by its heartbeat)", async () => {
    const dir = tmpfs(1 * MiB);
    await fill(join(dir, "filler"));
    const manager = await openManager(dir, 0);
    expect((await stat(join(dir, LOCK_FILE))).size).toBe(0);
    // Its heartbeat moves the mtime: what another process judges an unreadable lock by.
    const before = (await stat(join(dir, LOCK_FILE))).mtimeMs;
    await new Promise((r) => setTimeout(r, 2_200));
    expect((await stat(join(dir, LOCK_FILE))).mtimeMs).toBeGreaterThan(before);
    await manager.close();
    managers.splice(managers.indexOf(manager), 1);
  });
});
