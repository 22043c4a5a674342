// GC micro-bench of the tail cache (not a tinybench: it measures garbage collection, not time per
// op). Appends 170-byte batches the way the broker does — each a slice of a 64 KiB "socket read"
// chunk — at a high rate, with a consumer tailing the log from the cache, and prints GC figures
// (PerformanceObserver) and memory at the end. Run it under `node --trace-gc` to see each GC:
//   node --conditions=source --import tsx --trace-gc packages/storage/bench/tail-cache-gc.ts
// Knobs: APPENDS (default 400000), IN_FLIGHT (default 64), CHUNK_BYTES (default 65536),
// BATCHES_PER_CHUNK (default 64: a read chunk is only partly used by batches, as a socket read of
// a few requests is).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver, constants } from "node:perf_hooks";
import { Log } from "../src/index.js";
import { makeSizedBatch } from "../test/batches.js";

const APPENDS = Number(process.env.APPENDS ?? 400_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 64);
const CHUNK_BYTES = Number(process.env.CHUNK_BYTES ?? 65536);
const BATCHES_PER_CHUNK = Number(process.env.BATCHES_PER_CHUNK ?? 64);

const gc = { scavenges: 0, scavengeMs: 0, markSweeps: 0, markSweepMs: 0 };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      gc.scavenges++;
      gc.scavengeMs += e.duration;
    } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) {
      gc.markSweeps++;
      gc.markSweepMs += e.duration;
    }
  }
});
observer.observe({ entryTypes: ["gc"] });

const root = await mkdtemp(join(tmpdir(), "gregor-gcbench-"));
const log = await Log.open(root, { segmentBytes: 256 * 1024 * 1024 });
const template = makeSizedBatch(1, 170);

// A "socket read" chunk holds many requests; each append gets a slice of it.
let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
let chunkPos = CHUNK_BYTES;
let inChunk = 0;
function nextBatch(): Buffer {
  if (chunkPos + template.length > chunk.length || inChunk++ === BATCHES_PER_CHUNK) {
    inChunk = 1;
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    chunkPos = 0;
  }
  const slice = chunk.subarray(chunkPos, chunkPos + template.length);
  template.copy(slice);
  chunkPos += template.length;
  return slice;
}

let readOffset = 0;
let readBytes = 0;
let reads = 0;
const inFlight: Promise<unknown>[] = [];
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < APPENDS; i++) {
  inFlight.push(log.append(nextBatch()));
  if (inFlight.length >= IN_FLIGHT) {
    await inFlight.shift();
    // Tail consumer: read what has been written since the last read.
    if (readOffset < log.logEndOffset) {
      const r = await log.read(readOffset, 1024 * 1024);
      readBytes += r.bytes;
      reads++;
      readOffset = log.logEndOffset;
    }
  }
}
await Promise.all(inFlight);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await new Promise((r) => setTimeout(r, 50)); // let the observer deliver the last entries
const mem = process.memoryUsage();
const mib = (n: number): string => (n / 1048576).toFixed(1);
console.log(
  `${APPENDS} appends of ${template.length} B in ${ms.toFixed(0)} ms (${((APPENDS / ms) * 1000).toFixed(0)}/s), ` +
    `cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; ${reads} tail reads, ${mib(readBytes)} MiB`,
);
console.log(
  `gc: ${gc.scavenges} scavenges ${gc.scavengeMs.toFixed(0)} ms (avg ${(gc.scavengeMs / Math.max(1, gc.scavenges)).toFixed(2)} ms), ` +
    `${gc.markSweeps} mark-sweeps ${gc.markSweepMs.toFixed(0)} ms`,
);
console.log(
  `memory: rss ${mib(mem.rss)} MiB, heapUsed ${mib(mem.heapUsed)} MiB, arrayBuffers ${mib(mem.arrayBuffers)} MiB`,
);
observer.disconnect();
await log.close();
await rm(root, { recursive: true });
