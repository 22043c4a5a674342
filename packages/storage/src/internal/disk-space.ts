// The free-space floor of a data directory (beyond Kafka, like Redpanda's storage_min_free_bytes):
// appends are refused with KAFKA_STORAGE_ERROR (retriable) while the filesystem holding the
// directory has less than `minFreeBytes` available, so a filling disk stops writes before a write
// fails half-done, and the logs stay online and readable (a restart on that disk still has the
// room its checkpoints and metadata need). Writes resume by themselves once space returns.
//
// statfs is asynchronous, so the check works on the last figure read, minus the bytes admitted
// since; a new figure is read at most every `checkIntervalMs` while appends arrive (and on
// refusal, so a retrying producer sees space return promptly).
import { statfs } from "node:fs/promises";
import { NOOP_LOGGER, type Logger } from "../config.js";
import { DiskSpaceError } from "../errors.js";

export interface DiskSpaceOptions {
  /** Appends are refused while fewer bytes than this are available; 0 turns the check off. */
  minFreeBytes: number;
  /** How stale the free-space figure may get while appends arrive. Default 1000. */
  checkIntervalMs?: number;
  /** Shortest gap between two reads (a refused producer retrying fast). Default 50. */
  minRecheckMs?: number;
  logger?: Logger;
  /** Monotonic milliseconds; injectable for tests. */
  clock?: () => number;
  /** The filesystem's available bytes (tests inject a fake disk). Default: statfs. */
  readFreeBytes?: (dir: string) => Promise<number>;
}

async function statfsFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  // bavail: what an unprivileged writer may use (a root broker still keeps the reserve free).
  return s.bavail * s.bsize;
}

export class DiskSpace {
  readonly dir: string;
  readonly minFreeBytes: number;
  private readonly checkIntervalMs: number;
  private readonly minRecheckMs: number;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly readFreeBytes: (dir: string) => Promise<number>;
  private lastFreeBytes = Number.POSITIVE_INFINITY;
  private admittedSinceRead = 0;
  private readAtMs = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  private refusing = false;
  private recheck: NodeJS.Timeout | undefined;
  /** Appends refused since the directory went below its floor (logged once per episode). */
  refusedAppends = 0;

  constructor(dir: string, options: DiskSpaceOptions) {
    this.dir = dir;
    this.minFreeBytes = Math.max(0, options.minFreeBytes);
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.minRecheckMs = options.minRecheckMs ?? 50;
    this.logger = options.logger ?? NOOP_LOGGER;
    this.clock = options.clock ?? (() => performance.now());
    this.readFreeBytes = options.readFreeBytes ?? statfsFreeBytes;
  }

  /**
   * Refusing stops only once this much is available: a little above the floor, so appends do not
   * flap at its edge (a batch refused, the next one admitted after a re-read, and a retried batch
   * landing after a later one).
   */
  get resumeBytes(): number {
    return this.minFreeBytes + Math.max(64 * 1024, Math.floor(this.minFreeBytes / 16));
  }

  /** Reads the free space now (start-up, metrics). */
  refresh(): Promise<void> {
    this.reading ??= this.readFreeBytes(this.dir)
      .then(
        (free) => {
          this.lastFreeBytes = free;
          this.admittedSinceRead = 0;
          if (this.refusing && free >= this.resumeBytes) this.resumed();
        },
        (e: unknown) => this.logger.warn({ dir: this.dir, err: String(e) }, "could not read the free space"),
      )
      .finally(() => {
        this.readAtMs = this.clock();
        this.reading = undefined;
      });
    return this.reading;
  }

  /** Available bytes as last read, less what was admitted since. */
  get freeBytes(): number {
    return this.lastFreeBytes - this.admittedSinceRead;
  }

  /** Whether appends are being refused (the last check found the directory below its floor). */
  get belowMinimum(): boolean {
    return this.refusing;
  }

  /** Throws DiskSpaceError if appending `bytes` would leave less than minFreeBytes available. */
  admit(bytes: number): void {
    if (this.minFreeBytes === 0) return;
    const now = this.clock();
    const age = now - this.readAtMs;
    if (age >= this.checkIntervalMs || (this.refusing && age >= this.minRecheckMs)) void this.refresh();
    if (this.freeBytes - bytes >= (this.refusing ? this.resumeBytes : this.minFreeBytes)) {
      this.admittedSinceRead += bytes;
      if (this.refusing) this.resumed();
      return;
    }
    this.refuse();
  }

  private refuse(): never {
    this.refusedAppends++;
    // While refusing, the figure is re-read in the background too: appends resume as soon as
    // space returns, not only after a refused attempt saw it.
    this.recheck ??= setInterval(() => void this.refresh(), this.checkIntervalMs).unref();
    const message =
      `log dir ${this.dir} has ${Math.max(0, Math.floor(this.freeBytes))} bytes available, below ` +
      `gregor.storage.min.free.bytes=${this.minFreeBytes}: appends are refused until space is freed`;
    if (!this.refusing) {
      this.refusing = true;
      this.logger.error({ dir: this.dir, freeBytes: this.freeBytes, minFreeBytes: this.minFreeBytes }, message);
    }
    throw new DiskSpaceError(message);
  }

  private resumed(): void {
    this.refusing = false;
    this.stopRechecking();
    this.logger.warn(
      { dir: this.dir, freeBytes: this.freeBytes, refusedAppends: this.refusedAppends },
      "log dir has space again: appends resumed",
    );
    this.refusedAppends = 0;
  }

  private stopRechecking(): void {
    if (this.recheck !== undefined) clearInterval(this.recheck);
    this.recheck = undefined;
  }

  /** Stops the background re-check (the LogManager closes). */
  close(): void {
    this.stopRechecking();
  }
}
