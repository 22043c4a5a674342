// Profiling helper (not a bench): appends of BATCH_BYTES (16 KiB), WINDOW (256) in flight; TRANSFER=1
// hands buffers over, WARM=1 warms the page cache first. node --cpu-prof on scripts/run-bench.mjs output.
// RECORDS (16) records per batch; PER_THREAD=1 prints each thread's CPU time (Linux /proc).
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Log } from "../src/index.js";
import { makeSizedBatch } from "../test/batches.js";

const TOTAL = Number(process.env.BENCH_BYTES ?? 512 * 1024 * 1024);
const size = Number(process.env.BATCH_BYTES ?? 16 * 1024);
const window = Number(process.env.WINDOW ?? 256);
const root = await mkdtemp(join(tmpdir(), "gregor-prof-"));
if (process.env.WARM === "1") {
  // Touch (then free) page-cache memory first: on this VM, memory not used for a while costs a
  // host fault on first touch, which would swamp the figure (see bench/log.bench.ts).
  const b = Buffer.alloc(1 << 20, 1);
  const fd = openSync(join(root, "warm.bin"), "w");
  for (let w = 0; w < TOTAL; w += b.length) writeSync(fd, b);
  closeSync(fd);
  await rm(join(root, "warm.bin"));
}
const log = await Log.open(root, {
  ...(process.env.GROUP === undefined ? {} : { maxGroupCommitBytes: Number(process.env.GROUP) }),
  ...(process.env.CACHE === undefined ? {} : { tailCacheBytes: Number(process.env.CACHE) }),
});
const template = makeSizedBatch(Number(process.env.RECORDS ?? 16), size);
const n = Math.floor(TOTAL / template.length);
const inFlight: Promise<unknown>[] = [];
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < n; i++) {
  const buf = Buffer.allocUnsafe(template.length);
  template.copy(buf);
  inFlight.push(log.append(buf, { transfer: process.env.TRANSFER === "1" }));
  if (inFlight.length >= window) await inFlight.shift();
}
await Promise.all(inFlight);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${n} appends of ${template.length} B: ${(TOTAL / 1e9 / (ms / 1000)).toFixed(2)} GB/s, ${((ms * 1000) / n).toFixed(1)} us/append, cpu user ${(cpu.user / 1000).toFixed(0)} ms sys ${(cpu.system / 1000).toFixed(0)} ms of ${ms.toFixed(0)} ms`,
);
if (process.env.PER_THREAD === "1") {
  // CPU per thread (Linux): utime + stime in clock ticks (10 ms), by thread name.
  for (const task of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    console.log(`  thread ${task} ${comm}: ${(Number(f[11]) + Number(f[12])) * 10} ms`);
  }
}
await log.close();
await rm(root, { recursive: true });
