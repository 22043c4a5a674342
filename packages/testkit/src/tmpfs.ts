// A small tmpfs mounted for a test (a real full disk, not a mock: issue 13). Needs root
// (CI runs as root); `canMount` tells the test file whether to run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const canMount: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), "gregor-tmpfs-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `bytes` on a fresh directory. */
export function mountTmpfs(bytes: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), "gregor-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir]);
  return {
    dir,
    unmount: () => {
      execFileSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `path` until the filesystem is full (ENOSPC) or `maxBytes` are written; returns the bytes written. */
export async function fill(path: string, maxBytes = Number.POSITIVE_INFINITY): Promise<number> {
  const fh = await open(path, "a");
  const chunk = Buffer.alloc(64 * 1024, 0x7a);
  let written = 0;
  try {
    while (written < maxBytes) {
      const n = Math.min(chunk.length, maxBytes - written);
      written += (await fh.write(chunk, 0, n)).bytesWritten;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    await fh.close();
  }
  return written;
}
