import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Log, type Logger, type LogOptions } from "../src/index.js";

export async function tempDir(prefix = "gregor-storage-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Opens a log in a fresh temp dir; `cleanups` (run by the test file's afterEach) closes it (a
 * no-op if the test closed it already) and removes the dir.
 */
export async function openTempLog(
  cleanups: (() => Promise<void>)[],
  options: LogOptions = {},
): Promise<{ log: Log; dir: string }> {
  const { dir, cleanup } = await tempDir();
  const log = await Log.open(dir, options);
  cleanups.push(async () => {
    await log.close();
    await cleanup();
  });
  return { log, dir };
}

export interface LogLine {
  level: "info" | "warn" | "error";
  obj: object;
  msg: string | undefined;
}

export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: "info", obj, msg }),
    warn: (obj, msg) => lines.push({ level: "warn", obj, msg }),
    error: (obj, msg) => lines.push({ level: "error", obj, msg }),
  };
}

/**
 * A crash image of a log directory: copies its files as they are now while the log stays open
 * (no clean-shutdown marker, indexes not written at close). Files renamed away meanwhile (atomic
 * checkpoint writes in the background) are skipped, as a crash at that moment would leave them.
 */
export async function copyCrashImage(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    try {
      await copyFile(join(from, name), join(to, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
}
