// Exclusive lock on a data directory: `<dir>/.lock`, like Kafka's, held for the life of the process
// so a second broker (or tool) on the same log.dirs fails at start-up instead of writing the same
// segments. The file is created atomically (written under a temporary name, then hard-linked to
// `.lock`, which fails if it exists) and names its holder; see dir-lock-holder.ts for how a lock
// left by a killed process is told apart from a live one.
import { randomBytes } from "node:crypto";
import { unlinkSync } from "node:fs";
import { link, mkdir, readFile, realpath, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { currentProcess, holderLiveness, type LockHolder, parseHolder } from "./dir-lock-holder.js";

export const LOCK_FILE = ".lock";

/** Another process (or another broker in this one) holds the directory. */
export class DataDirLockedError extends Error {
  readonly dir: string;
  readonly holder: LockHolder | undefined;
  constructor(dir: string, holder: LockHolder | undefined, detail: string) {
    super(
      `Data directory ${dir} is in use by ${detail}; ${join(dir, LOCK_FILE)} holds its lock. ` +
        "Stop that process first, or give this one other log.dirs / metadata.log.dir.",
    );
    this.name = "DataDirLockedError";
    this.dir = dir;
    this.holder = holder;
  }
}

export interface DirLockOptions {
  /**
   * Taking a lock this process already holds adds a reference instead of failing (a LogManager
   * opened inside a broker that locked its dirs first). Default false: one holder per directory.
   */
  reentrant?: boolean;
  /** A holder that cannot be checked by pid is stale once the lock's mtime is this old. */
  staleMs?: number;
  /** How often a held lock's mtime is refreshed. */
  heartbeatMs?: number;
}

export interface DirLock {
  readonly dir: string;
  /** Drops this reference; the file is removed when the last one goes. Idempotent. */
  release(): Promise<void>;
}

interface Held {
  path: string;
  refs: number;
  timer: NodeJS.Timeout;
}

const DEFAULT_STALE_MS = 10_000;
const DEFAULT_HEARTBEAT_MS = 2_000;
const MAX_ATTEMPTS = 50;
const held = new Map<string, Held>();
let exitHookInstalled = false;

/** Takes `<dir>/.lock` (creating `dir`), or throws DataDirLockedError naming the holder's pid. */
export async function acquireDirLock(dir: string, options: DirLockOptions = {}): Promise<DirLock> {
  await mkdir(dir, { recursive: true });
  const key = await realpath(dir);
  const mine = held.get(key);
  if (mine !== undefined) {
    if (options.reentrant !== true) {
      throw new DataDirLockedError(
        dir,
        undefined,
        `another broker or log manager in this process (pid ${process.pid})`,
      );
    }
    mine.refs++;
    return handle(dir, key);
  }
  const path = join(key, LOCK_FILE);
  const text = JSON.stringify({ ...currentProcess(), acquiredAtMs: Date.now() });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await tryCreate(path, text)) {
      const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
      const timer = setInterval(() => void touch(path), heartbeatMs).unref();
      held.set(key, { path, refs: 1, timer });
      installExitHook();
      return handle(dir, key);
    }
    await clearIfStale(dir, path, options.staleMs ?? DEFAULT_STALE_MS);
  }
  throw new DataDirLockedError(dir, undefined, "processes that keep taking and dropping the lock");
}

function handle(dir: string, key: string): DirLock {
  let released = false;
  return {
    dir,
    release: async () => {
      if (released) return;
      released = true;
      const entry = held.get(key);
      if (entry === undefined || --entry.refs > 0) return;
      held.delete(key);
      clearInterval(entry.timer);
      await unlink(entry.path).catch(() => undefined);
    },
  };
}

/** True when `.lock` is now ours; false when it already exists. */
async function tryCreate(path: string, text: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
    // A full disk has no block for the holder record, but an empty file takes only an inode: it
    // still excludes, and its mtime heartbeat tells a live holder from a dead one (clearIfStale).
    await unlink(temp).catch(() => undefined);
    return createExclusive(path, "");
  }
  try {
    await link(temp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw e;
    // A filesystem without hard links: exclusive create (a reader may briefly see it empty).
    return createExclusive(path, text);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function createExclusive(path: string, text: string): Promise<boolean> {
  try {
    await writeFile(path, text, { flag: "wx" });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

/** Throws if the holder lives; removes the lock if it is stale; returns to retry otherwise. */
async function clearIfStale(dir: string, path: string, staleMs: number): Promise<void> {
  const seen = await readLock(path);
  if (seen === undefined) return; // released meanwhile
  const holder = parseHolder(seen.text);
  // Empty or torn (written on a full disk, or by a writer killed mid-write): judged by its heartbeat.
  const liveness = holder === undefined ? "unknown" : holderLiveness(holder);
  if (liveness === "alive") throw new DataDirLockedError(dir, holder, describe(holder));
  if (liveness === "unknown") {
    // A running holder refreshes the mtime; wait (bounded by staleMs) for it to show itself.
    const ageMs = Date.now() - seen.mtimeMs;
    if (ageMs < staleMs) {
      await sleep(Math.min(staleMs - ageMs + 10, 500));
      const again = await readLock(path);
      if (again !== undefined && again.text === seen.text && again.mtimeMs > seen.mtimeMs) {
        throw new DataDirLockedError(dir, holder, describe(holder));
      }
      return;
    }
  }
  return takeOver(path, seen.text);
}

function describe(holder: LockHolder | undefined): string {
  if (holder === undefined) return "another process (its lock names no pid: it was taken on a full disk)";
  const since = holder.acquiredAtMs > 0 ? `, since ${new Date(holder.acquiredAtMs).toISOString()}` : "";
  return `another process (pid ${holder.pid} on ${holder.hostname}${since})`;
}

/**
 * Removes a stale `.lock` without removing a fresh one a racing process just made: move it aside
 * atomically, and if what moved is not the stale file that was judged, link it back.
 */
async function takeOver(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  const moved = await readFile(aside, "utf8").catch(() => staleText);
  if (moved !== staleText) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function readLock(path: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { text, mtimeMs: info.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function touch(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}

/** A process that exits without closing its brokers still leaves no lock behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const entry of held.values()) {
      try {
        unlinkSync(entry.path);
      } catch {
        // already gone
      }
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
