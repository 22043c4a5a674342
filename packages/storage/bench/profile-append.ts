// Profiling helper (not a bench): 16 KiB appends, 256 in flight. node --cpu-prof target.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Log } from "../src/index.js";
import { makeSizedBatch } from "../test/batches.js";

const TOTAL = Number(process.env.BENCH_BYTES ?? 512 * 1024 * 1024);
const size = Number(process.env.BATCH_BYTES ?? 16 * 1024);
const window = Number(process.env.WINDOW ?? 256);
const root = await mkdtemp(join(tmpdir(), "gregor-prof-"));
const log = await Log.open(root, {
  ...(process.env.GROUP === undefined ? {} : { maxGroupCommitBytes: Number(process.env.GROUP) }),
  ...(process.env.CACHE === undefined ? {} : { tailCacheBytes: Number(process.env.CACHE) }),
});
const template = makeSizedBatch(16, size);
const n = Math.floor(TOTAL / template.length);
const inFlight: Promise<unknown>[] = [];
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < n; i++) {
  const buf = Buffer.allocUnsafe(template.length);
  template.copy(buf);
  inFlight.push(log.append(buf));
  if (inFlight.length >= window) await inFlight.shift();
}
await Promise.all(inFlight);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(`${n} appends of ${template.length} B: ${(TOTAL / 1e9 / (ms / 1000)).toFixed(2)} GB/s, ${((ms * 1000) / n).toFixed(1)} us/append, cpu user ${(cpu.user / 1000).toFixed(0)} ms sys ${(cpu.system / 1000).toFixed(0)} ms of ${ms.toFixed(0)} ms`);
await log.close();
await rm(root, { recursive: true });
