// All partition logs of one data directory: `<topic>-<partition>/` each. Opens them concurrently
// at start-up, creates and deletes them (Kafka's rename to `<dir>.<uuid>-delete`, removed in the
// background).
import { randomUUID } from "node:crypto";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { NOOP_LOGGER, type LogOptions, type Logger } from "./config.js";
import { acquireDirLock, type DirLock } from "./internal/dir-lock.js";
import { DiskSpace } from "./internal/disk-space.js";
import { LogDirOfflineError } from "./errors.js";
import { Log } from "./log.js";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface LogManagerOptions {
  /** Defaults for every log; per-topic overrides go to createLog. */
  logOptions?: LogOptions;
  logger?: Logger;
  /** Logs opened at once during start-up. */
  openConcurrency?: number;
  /**
   * Take `<dataDir>/.lock` for as long as the manager is open (default true), so a second process
   * on the same directory fails to open it. A lock this process already holds (the broker locks
   * its dirs first) is shared.
   */
  lock?: boolean;
  /**
   * Appends to the directory's logs are refused (KAFKA_STORAGE_ERROR) while its filesystem has
   * fewer bytes available than this (gregor.storage.min.free.bytes); internal topics (`__*`:
   * offsets commits, metadata) are exempt. Default 0: no floor.
   */
  minFreeBytes?: number;
  /** How stale the free-space figure may get while appends arrive. Default 1000. */
  diskCheckIntervalMs?: number;
}

const LOG_DIR = /^(.+)-(\d+)$/;
const DELETE_DIR = /\.[0-9a-f]{32}-delete$/;

export function logDirName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

export function parseLogDirName(name: string): TopicPartition | undefined {
  if (name.startsWith(".") || (name.includes(".") && DELETE_DIR.test(name))) return undefined;
  const m = LOG_DIR.exec(name);
  if (m === null) return undefined;
  return { topic: m[1]!, partition: Number(m[2]) };
}

export class LogManager {
  readonly dataDir: string;
  private readonly logs = new Map<string, Log>();
  private readonly options: LogManagerOptions;
  private readonly logger: Logger;
  private readonly deletions = new Set<Promise<void>>();
  private dirLock: DirLock | null = null;
  private offline: { error: unknown; atMs: number } | undefined;
  /** The free-space floor of the directory (minFreeBytes). */
  readonly diskSpace: DiskSpace;

  private constructor(dataDir: string, options: LogManagerOptions) {
    this.dataDir = dataDir;
    this.options = options;
    this.logger = options.logger ?? NOOP_LOGGER;
    this.diskSpace = new DiskSpace(dataDir, {
      minFreeBytes: options.minFreeBytes ?? 0,
      logger: this.logger,
      ...(options.diskCheckIntervalMs === undefined ? {} : { checkIntervalMs: options.diskCheckIntervalMs }),
    });
  }

  /** Opens every `<topic>-<partition>` log under `dataDir`; resumes interrupted deletions. */
  static async open(dataDir: string, options: LogManagerOptions = {}): Promise<LogManager> {
    await mkdir(dataDir, { recursive: true });
    const manager = new LogManager(dataDir, options);
    if (options.lock !== false) manager.dirLock = await acquireDirLock(dataDir, { reentrant: true });
    try {
      await manager.diskSpace.refresh();
      await manager.openAll(options.openConcurrency ?? 8);
    } catch (e) {
      await manager.close();
      throw e;
    }
    manager.logger.info({ dataDir, logs: manager.logs.size }, "opened logs");
    return manager;
  }

  private async openAll(openConcurrency: number): Promise<void> {
    const entries = await readdir(this.dataDir, { withFileTypes: true });
    const toOpen: TopicPartition[] = [];
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (DELETE_DIR.test(e.name)) {
        this.removeInBackground(join(this.dataDir, e.name));
        continue;
      }
      const tp = parseLogDirName(e.name);
      if (tp !== undefined) toOpen.push(tp);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < toOpen.length) {
        const tp = toOpen[next++]!;
        const log = await Log.open(join(this.dataDir, logDirName(tp)), this.logOptions(tp.topic));
        this.logs.set(logDirName(tp), log);
      }
    };
    const workers = Math.min(Math.max(1, openConcurrency), toOpen.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }

  private logOptions(topic: string, overrides: LogOptions = {}): LogOptions {
    const base = this.options.logOptions ?? {};
    const logger = overrides.logger ?? base.logger ?? this.options.logger;
    const options: LogOptions = { ...base, ...overrides, ...(logger === undefined ? {} : { logger }) };
    const floor = this.diskSpace.minFreeBytes > 0 && !topic.startsWith("__");
    options.admitAppend ??= (bytes) => {
      if (this.offline !== undefined) throw new LogDirOfflineError(this.dataDir, this.offline.error);
      if (floor) this.diskSpace.admit(bytes);
    };
    options.onWriteFailure ??= (error) => this.markOffline(error);
    return options;
  }

  /**
   * Kafka's offline log dir (KIP-112): after a write failed in it (ENOSPC, EIO) every log of the
   * directory refuses appends until a restart. Unlike Kafka its logs keep serving reads, so what
   * was acknowledged stays readable (issue 13).
   */
  private markOffline(error: unknown): void {
    if (this.offline !== undefined) return;
    this.offline = { error, atMs: Date.now() };
    this.logger.error(
      { dataDir: this.dataDir, err: String(error) },
      "log dir offline: a write failed; appends to its logs are refused until restart, reads continue",
    );
  }

  /** Set once a write in this directory failed (see markOffline). */
  get offlineError(): unknown {
    return this.offline?.error;
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(logDirName({ topic, partition }));
  }

  /** Every open log with its topic-partition. */
  allLogs(): { topicPartition: TopicPartition; log: Log }[] {
    const out: { topicPartition: TopicPartition; log: Log }[] = [];
    for (const [name, log] of this.logs) out.push({ topicPartition: parseLogDirName(name)!, log });
    return out;
  }

  /** Returns the existing log or creates it (with per-topic config overrides). */
  async getOrCreateLog(topic: string, partition: number, overrides: LogOptions = {}): Promise<Log> {
    if (topic.length === 0 || partition < 0 || !Number.isInteger(partition) || topic.includes("/")) {
      throw new RangeError(`invalid topic-partition ${topic}-${partition}`);
    }
    const name = logDirName({ topic, partition });
    const existing = this.logs.get(name);
    if (existing !== undefined) return existing;
    const log = await Log.open(join(this.dataDir, name), this.logOptions(topic, overrides));
    const raced = this.logs.get(name);
    if (raced !== undefined) {
      await log.close();
      return raced;
    }
    this.logs.set(name, log);
    return log;
  }

  /** Closes the log, renames its directory to `<dir>.<uuid>-delete` and removes it in the background. */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const name = logDirName({ topic, partition });
    const log = this.logs.get(name);
    if (log === undefined) return false;
    this.logs.delete(name);
    await log.close();
    const doomed = join(this.dataDir, `${name}.${randomUUID().replaceAll("-", "")}-delete`);
    await rename(join(this.dataDir, name), doomed);
    this.removeInBackground(doomed);
    return true;
  }

  private removeInBackground(path: string): void {
    const p = rm(path, { recursive: true, force: true }).catch((e: unknown) => {
      this.logger.error({ path, err: String(e) }, "failed to remove deleted log directory");
    });
    this.deletions.add(p);
    void p.finally(() => this.deletions.delete(p));
  }

  /** Applies retention to every log; returns the number of segments deleted. */
  async applyRetention(nowMs: number): Promise<number> {
    let total = 0;
    for (const log of this.logs.values()) total += await log.applyRetention(nowMs);
    return total;
  }

  /** Waits for background directory removals (tests use it). */
  async awaitDeletions(): Promise<void> {
    await Promise.all(this.deletions);
  }

  async close(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => l.close()));
    this.logs.clear();
    await this.awaitDeletions();
    this.diskSpace.close();
    await this.dirLock?.release();
    this.dirLock = null;
  }
}
