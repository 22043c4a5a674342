// Start-up cleanup of an interrupted cleaner swap (Kafka's LogLoader.removeTempFilesAndCollectSwapFiles
// and its swap completion). The sequence was: `<base>.*.cleaned` written and fsynced, renamed to
// `.swap` (indexes first, the log last: `<base>.log.swap` is the commit point), the replaced
// segments renamed to `.deleted`, `.swap` renamed to the live names, `.deleted` removed.
// - `.cleaned`, `.deleted`, `.tmp`: removed (an unfinished clean, or already replaced).
// - `<base>.log.swap`: the swap committed: every live segment whose base offset lies in
//   [base, the swap segment's next offset) is removed and the swap files take the live names.
//   The cleaned segment may end before its group did (trailing batches without records are
//   dropped): a replaced segment none of whose records survived may then stay live. That is a
//   valid log (no offset overlaps the swap segment; its records are merely not compacted yet,
//   as if its part of the pass had not happened), and the next pass cleans it again.
// - `.index.swap` / `.timeindex.swap` without their `.log.swap`: removed (the index is rebuilt).
import { open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../config.js";
import { scanValid } from "./file-scan.js";
import { segmentFileName } from "./segment.js";

const TEMP_FILE = /\.(tmp|deleted|cleaned)$/;
const SWAP_FILE = /^(\d{20})\.(log|index|timeindex)\.swap$/;
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

async function nextOffsetOf(path: string, baseOffset: number): Promise<number> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    let next = baseOffset;
    await scanValid(fh, baseOffset, 0, size, 8 * 1024 * 1024, (h) => {
      next = h.lastOffset + 1;
    });
    return next;
  } finally {
    await fh.close();
  }
}

export async function completeInterruptedSwaps(dir: string, logger: Logger): Promise<void> {
  const names = await readdir(dir);
  const swaps = new Map<number, Set<string>>();
  for (const name of names) {
    if (TEMP_FILE.test(name)) {
      await rm(join(dir, name), { force: true, recursive: true });
      continue;
    }
    const m = SWAP_FILE.exec(name);
    if (m === null) continue;
    const base = Number(m[1]);
    const kinds = swaps.get(base) ?? new Set<string>();
    kinds.add(m[2]!);
    swaps.set(base, kinds);
  }
  for (const [base, kinds] of [...swaps].sort((a, b) => a[0] - b[0])) {
    if (!kinds.has("log")) {
      for (const kind of kinds) await rm(join(dir, segmentFileName(base, `.${kind}.swap`)), { force: true });
      continue;
    }
    const next = await nextOffsetOf(join(dir, segmentFileName(base, ".log.swap")), base);
    const replaced: number[] = [];
    for (const name of await readdir(dir)) {
      const m = SEGMENT_FILE.exec(name);
      if (m === null) continue;
      const b = Number(m[1]);
      if (b >= base && b < Math.max(next, base + 1)) {
        await rm(join(dir, name), { force: true });
        if (m[2] === "log") replaced.push(b);
      }
    }
    for (const kind of ["index", "timeindex", "log"]) {
      if (kinds.has(kind))
        await rename(join(dir, segmentFileName(base, `.${kind}.swap`)), join(dir, segmentFileName(base, `.${kind}`)));
    }
    logger.warn(
      { dir, baseOffset: base, nextOffset: next, replaced },
      "completed an interrupted segment swap of the log cleaner",
    );
  }
}
