// The data-dir lock (issue 13, item 1): one holder per directory across processes, the holder's pid
// in the refusal, and a lock left by a killed process (or a reused pid) does not block a restart.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempDir, within } from "@gregor/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { acquireDirLock, DataDirLockedError, LOCK_FILE, LogManager } from "../../src/index.js";

const CHILD = join(__dirname, "lock-child.ts");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** A child process holding `dir`'s lock; resolves once it printed "locked". */
function lockInChild(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", CHILD, dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  const locked = new Promise<ChildProcess>((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("locked")) resolve(child);
    });
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => reject(new Error(`lock child exited ${code}:\n${out}`)));
  });
  return within(locked, { what: "the child to take the lock", timeoutMs: 20_000 });
}

function killed(child: ChildProcess): Promise<unknown> {
  const exit = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  return within(exit, { what: "the child to die", timeoutMs: 10_000 });
}

async function expectLockedBy(promise: Promise<unknown>, dir: string, pid: number): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataDirLockedError);
  const message = (err as Error).message;
  expect(message).toContain(dir);
  expect(message).toContain(`pid ${pid}`);
}

describe("data dir lock", () => {
  it("refuses a second process on the directory, naming it and the holder's pid", async () => {
    const dir = tempDir();
    const child = await lockInChild(dir);
    const holder = JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")) as { pid: number };
    expect(holder.pid).toBe(child.pid);
    await expectLockedBy(LogManager.open(dir), dir, child.pid!);
    await expectLockedBy(acquireDirLock(dir), dir, child.pid!);
  });

  it("a lock left by a SIGKILLed holder does not block the next one", async () => {
    const dir = tempDir();
    const child = await lockInChild(dir);
    await killed(child);
    // The dead holder's file is still there: only its pid tells it is stale.
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")).pid).toBe(child.pid);
    const manager = await LogManager.open(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    await manager.close();
    await expect(stat(join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it("in one process: a broker's lock is exclusive, a LogManager inside it shares it", async () => {
    const dir = tempDir();
    const lock = await acquireDirLock(dir);
    await expectLockedBy(acquireDirLock(dir), dir, process.pid);
    const manager = await LogManager.open(dir);
    await manager.close();
    // The manager's release leaves the outer holder's lock in place.
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    await lock.release();
    await lock.release();
    await expect(stat(join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
    const again = await acquireDirLock(dir);
    await again.release();
  });

  it("a live pid that started later than the holder (a reused pid) is not the holder", async () => {
    const dir = tempDir();
    const child = await lockInChild(dir);
    const path = join(dir, LOCK_FILE);
    const holder = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    await killed(child);
    // Our own pid is alive, but with another start time it is not the process that wrote this.
    await writeFile(path, JSON.stringify({ ...holder, pid: process.pid }));
    const lock = await acquireDirLock(dir);
    await lock.release();
  });

  it("a torn lock file is stale once it stops changing", async () => {
    const dir = tempDir();
    const path = join(dir, LOCK_FILE);
    await writeFile(path, '{"pid":');
    const old = new Date(Date.now() - 5_000);
    await utimes(path, old, old);
    const lock = await acquireDirLock(dir, { staleMs: 1000 });
    expect(JSON.parse(await readFile(path, "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("a holder it cannot check by pid (another pid namespace) counts while its heartbeat moves", async () => {
    const dir = tempDir();
    const path = join(dir, LOCK_FILE);
    const child = await lockInChild(dir);
    const holder = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    // The child keeps refreshing the mtime; rewrite its record as if from another namespace.
    await writeFile(path, JSON.stringify({ ...holder, pidNamespace: "pid:[1]" }));
    await expectLockedBy(acquireDirLock(dir, { staleMs: 5_000 }), dir, child.pid!);
    await killed(child);
    // No heartbeat any more: stale after staleMs.
    const lock = await acquireDirLock(dir, { staleMs: 300 });
    await lock.release();
  });
});
