// High watermark durability (Kafka's ReplicaManager.checkpointHighWatermarks and its
// OffsetCheckpointFile): `replication-offset-checkpoint` in the log dir holds every local
// partition's HW, written every replica.high.watermark.checkpoint.interval.ms and at a clean
// shutdown; a broker that opens a log again starts its HW at min(checkpoint, log end offset), so a
// restarted leader or follower never shows consumers records that were not committed.
// Text format as Kafka's: version 0, the entry count, then "topic partition offset" lines.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";

export const HW_CHECKPOINT_FILE = "replication-offset-checkpoint";

export interface HwEntry {
  topic: string;
  partition: number;
  offset: number;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function serializeHwCheckpoint(entries: readonly HwEntry[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.topic} ${e.partition} ${e.offset}\n`).join("")}`;
}

/** Parses the checkpoint; throws naming what is wrong (the caller logs it and starts without). */
export function parseHwCheckpoint(text: string): Map<string, number> {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines[0] !== "0") throw new Error(`unsupported ${HW_CHECKPOINT_FILE} version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2)
    throw new Error(`${HW_CHECKPOINT_FILE}: ${lines.length - 2} entries, header says ${lines[1]}`);
  const out = new Map<string, number>();
  for (const line of lines.slice(2)) {
    const parts = line.trim().split(" ");
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isInteger(partition) || !Number.isSafeInteger(offset) || offset < 0)
      throw new Error(`${HW_CHECKPOINT_FILE}: malformed line "${line}"`);
    out.set(key(parts[0]!, partition), offset);
  }
  return out;
}

export class HighWatermarkCheckpoint {
  private writing: Promise<void> | null = null;

  private constructor(
    readonly path: string,
    /** Null when the file did not exist (a first start, or a broker from before replication). */
    private readonly loaded: Map<string, number> | null,
  ) {}

  /** Reads the log dir's checkpoint at start-up (synchronously: one small file, before any log is served). */
  static load(dir: string, onError: (err: unknown) => void): HighWatermarkCheckpoint {
    const path = join(dir, HW_CHECKPOINT_FILE);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") onError(err);
      return new HighWatermarkCheckpoint(path, null);
    }
    try {
      return new HighWatermarkCheckpoint(path, parseHwCheckpoint(text));
    } catch (err) {
      onError(err);
      return new HighWatermarkCheckpoint(path, new Map());
    }
  }

  /**
   * The HW to start a log at: its checkpointed one; the log start (0 committed) when a checkpoint
   * exists without it (Kafka's default); undefined with no checkpoint at all (the HW follows the log).
   */
  startingHighWatermark(topic: string, partition: number): number | undefined {
    if (this.loaded === null) return undefined;
    return this.loaded.get(key(topic, partition)) ?? 0;
  }

  /** Writes the entries (a temp file, fsynced, renamed over the old one); one write at a time. */
  write(entries: readonly HwEntry[]): Promise<void> {
    if (this.writing !== null) return this.writing;
    this.writing = this.writeFile(serializeHwCheckpoint(entries)).finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  /** The same, synchronously: the last write at a clean shutdown, done before the process moves on. */
  writeNow(entries: readonly HwEntry[]): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, serializeHwCheckpoint(entries));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }

  private async writeFile(text: string): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
  }
}
