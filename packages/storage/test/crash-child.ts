// Child process for crash.test.ts: appends forever with flush.messages=1 and prints
// "<baseOffset> <lastOffset>" after each append has been fsynced.
import { Log } from "../src/index.js";
import { makeBatch } from "./batches.js";

const dir = process.argv[2]!;
const log = await Log.open(dir, { flushMessages: 1, segmentBytes: 64 * 1024, indexIntervalBytes: 512 });
process.stdout.write(`ready ${log.logEndOffset}\n`);
let i = 0;
for (;;) {
  // Varying sizes, some large enough that a kill can land inside a write.
  const records = 1 + (i % 7);
  const size = i % 5 === 0 ? 20_000 : 300;
  const value = Buffer.alloc(Math.floor(size / records), 0x41 + (i % 26));
  const inFlight = [0, 1, 2].map(() => log.append(makeBatch(Array.from({ length: records }, () => ({ value })))));
  for (const p of inFlight) {
    const r = await p;
    process.stdout.write(`${r.baseOffset} ${r.lastOffset}\n`);
  }
  i++;
}
