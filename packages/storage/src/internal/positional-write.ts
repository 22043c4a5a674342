// Positional vectored writes on a raw file descriptor, repeated until every byte is written (a
// short write resumes where it stopped). The async one goes through fs.writev's callback, lighter
// than FileHandle.writev's promise path.
import { writev, writevSync } from "node:fs";
import { assert } from "@gregor/protocol/util";

/** Writes `buffers` (`totalBytes` in all) at `position`, synchronously. */
export function writevFullySync(fd: number, buffers: Buffer[], totalBytes: number, position: number): void {
  let written = 0;
  let pending = buffers;
  while (written < totalBytes) {
    const bytesWritten = writevSync(fd, pending, position + written);
    assert(bytesWritten > 0, "writev wrote nothing");
    written += bytesWritten;
    if (written < totalBytes) pending = remainder(buffers, written);
  }
}

/** Writes `buffers` (`totalBytes` in all) at `position` on the thread pool. */
export function writevFully(fd: number, buffers: Buffer[], totalBytes: number, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let written = 0;
    const next = (pending: Buffer[]): void => {
      writev(fd, pending, position + written, (err, bytesWritten) => {
        if (err !== null) return reject(err);
        if (bytesWritten <= 0) return reject(new Error("writev wrote nothing"));
        written += bytesWritten;
        if (written < totalBytes) next(remainder(buffers, written));
        else resolve();
      });
    };
    next(buffers);
  });
}

/** What is left of `buffers` after the first `skip` bytes. */
function remainder(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return out;
}
