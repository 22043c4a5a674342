// Small text files a partition log keeps beside its segments, written atomically
// (temp file, fsync, rename) so a crash leaves either the old or the new content.
import { open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

export const LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
/** recoveryPoint and logStartOffset, Kafka's checkpoint text format (version, count, lines). */
export const LOG_CHECKPOINT = "log-checkpoint";
/** The cleaner's first dirty offset and the history of its passes (tombstone horizons). */
export const CLEANER_CHECKPOINT = "cleaner-offset-checkpoint";
/** Present only while the log is cleanly closed (Kafka's `.kafka_cleanshutdown`, per log). */
export const CLEAN_SHUTDOWN_MARKER = ".kafka_cleanshutdown";

export async function writeAtomic(path: string, content: string | Buffer, sync = true): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(content);
    if (sync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

export interface LogCheckpoint {
  recoveryPoint: number;
  logStartOffset: number;
}

export function serializeLogCheckpoint(c: LogCheckpoint): string {
  return `0\n2\nrecoveryPoint ${c.recoveryPoint}\nlogStartOffset ${c.logStartOffset}\n`;
}

/** Undefined when the file is missing or unreadable (the log then recovers from offset 0). */
export function parseLogCheckpoint(text: string | undefined): LogCheckpoint | undefined {
  if (text === undefined) return undefined;
  const lines = text.split("\n").filter((l) => l !== "");
  if (lines[0] !== "0" || lines[1] !== "2") return undefined;
  const values = new Map(lines.slice(2).map((l) => l.split(" ") as [string, string]));
  const recoveryPoint = Number(values.get("recoveryPoint"));
  const logStartOffset = Number(values.get("logStartOffset"));
  if (!Number.isSafeInteger(recoveryPoint) || !Number.isSafeInteger(logStartOffset)) return undefined;
  return { recoveryPoint, logStartOffset };
}

export async function removeIfExists(dir: string, name: string): Promise<boolean> {
  try {
    await rm(join(dir, name));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** The per-log checkpoint files, each write serialized (background roll flushes write too). */
export class CheckpointFiles {
  private readonly dir: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
  }

  private serialized(name: string, content: string): Promise<void> {
    const run = this.chain.then(() => writeAtomic(join(this.dir, name), content));
    this.chain = run.catch(() => {});
    return run;
  }

  writeLog(c: LogCheckpoint): Promise<void> {
    return this.serialized(LOG_CHECKPOINT, serializeLogCheckpoint(c));
  }

  writeLeaderEpochs(text: string): Promise<void> {
    return this.serialized(LEADER_EPOCH_CHECKPOINT, text);
  }

  writeCleaner(text: string): Promise<void> {
    return this.serialized(CLEANER_CHECKPOINT, text);
  }

  markCleanShutdown(logEndOffset: number): Promise<void> {
    return this.serialized(CLEAN_SHUTDOWN_MARKER, `${logEndOffset}\n`);
  }
}
