// Who holds a data-dir lock, and whether that process still runs. Kafka holds an OS file lock
// (FileChannel.tryLock on `.lock`) that the kernel drops when the process dies; Node has no flock,
// so the lock file names its holder and a later process decides whether the holder is gone:
// - same boot and same pid namespace: the pid is alive and has the same start time (so a reused
//   pid does not count as the holder);
// - another boot (the machine restarted since): stale;
// - anything else (another pid namespace, no /proc): the holder refreshes the file's mtime while
//   it runs, so a file whose mtime stopped moving for `staleMs` is stale.
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

export interface LockHolder {
  pid: number;
  hostname: string;
  /** /proc/sys/kernel/random/boot_id; null off Linux. */
  bootId: string | null;
  /** The holder's pid namespace (/proc/self/ns/pid link); null off Linux. */
  pidNamespace: string | null;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); null off Linux. */
  startTime: string | null;
  acquiredAtMs: number;
}

function readOrNull(read: () => string): string | null {
  try {
    return read().trim();
  } catch {
    return null;
  }
}

/** Start time of `pid` in clock ticks since boot, or null (no /proc, or no such process). */
export function processStartTime(pid: number): string | null {
  const stat = readOrNull(() => readFileSync(`/proc/${pid}/stat`, "utf8"));
  if (stat === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? null;
}

let self: Omit<LockHolder, "acquiredAtMs"> | undefined;

export function currentProcess(): Omit<LockHolder, "acquiredAtMs"> {
  self ??= {
    pid: process.pid,
    hostname: hostname(),
    bootId: readOrNull(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    pidNamespace: readOrNull(() => readlinkSync("/proc/self/ns/pid")),
    startTime: processStartTime(process.pid),
  };
  return self;
}

/** Parses a lock file's text; undefined when it is not a holder record (torn or foreign). */
export function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    return {
      pid: v.pid,
      hostname: typeof v.hostname === "string" ? v.hostname : "?",
      bootId: typeof v.bootId === "string" ? v.bootId : null,
      pidNamespace: typeof v.pidNamespace === "string" ? v.pidNamespace : null,
      startTime: typeof v.startTime === "string" ? v.startTime : null,
      acquiredAtMs: typeof v.acquiredAtMs === "number" ? v.acquiredAtMs : 0,
    };
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type Liveness = "alive" | "dead" | "unknown";

/** Whether the holder still runs, as far as this process can tell without the mtime. */
export function holderLiveness(holder: LockHolder): Liveness {
  const me = currentProcess();
  if (me.bootId !== null && holder.bootId !== null && me.bootId !== holder.bootId) {
    // Same host name and another boot: the machine restarted since. Another host: can't tell.
    return holder.hostname === me.hostname ? "dead" : "unknown";
  }
  const sameNamespace =
    me.bootId !== null ? holder.pidNamespace !== null && holder.pidNamespace === me.pidNamespace : false;
  if (sameNamespace) {
    if (!pidAlive(holder.pid)) return "dead";
    const started = processStartTime(holder.pid);
    return started === null || holder.startTime === null || started === holder.startTime ? "alive" : "dead";
  }
  // No /proc: a pid on the same host is the best evidence there is.
  if (me.bootId === null && holder.hostname === me.hostname) return pidAlive(holder.pid) ? "alive" : "dead";
  return "unknown";
}
