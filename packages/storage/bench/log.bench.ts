// Storage bench: the machine's own write limits, then the log's append, tail-read and recovery
// figures against them. Run: pnpm exec tsx --conditions=source packages/storage/bench/log.bench.ts
import { execFileSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bench } from "tinybench";
import { Log } from "../src/index.js";
import { makeSizedBatch } from "../test/batches.js";

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_BYTES ?? GiB);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const gbps = (bytes: number, ms: number): string => `${(bytes / 1e9 / (ms / 1000)).toFixed(2)} GB/s`;

/** dd with fdatasync: the disk's sequential write limit. dd prints its summary on stderr. */
function ddLimit(root: string): string {
  const path = join(root, "dd.bin");
  const out = execFileSync("sh", ["-c", `dd if=/dev/zero of=${path} bs=1M count=${TOTAL / MiB} conv=fdatasync 2>&1 | tail -1`], {
    encoding: "utf8",
  });
  return out.trim();
}

function plainWriteLoop(path: string, chunkBytes: number): number {
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  const fd = openSync(path, "w");
  const t0 = performance.now();
  for (let written = 0; written < TOTAL; written += chunkBytes) writeSync(fd, chunk);
  const ms = performance.now() - t0;
  closeSync(fd);
  return ms;
}

async function appendRun(dir: string, batchBytes: number, records: number, window: number): Promise<{ ms: number; bytes: number; log: Log }> {
  const log = await Log.open(dir);
  const pool = Array.from({ length: window * 2 + 2 }, () => makeSizedBatch(records, batchBytes));
  const n = Math.floor(TOTAL / pool[0]!.length);
  const inFlight: Promise<unknown>[] = [];
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const buf = pool[i % pool.length]!;
    bytes += buf.length;
    // A pooled buffer is reused only after its append resolved (pool > window).
    inFlight.push(log.append(buf));
    if (inFlight.length >= window) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return { ms: performance.now() - t0, bytes, log };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "gregor-storage-bench-"));
  try {
    console.log(`# @gregor/storage bench — ${new Date().toISOString()} — ${TOTAL / MiB} MiB per run, tmp dir ${root}`);

    // 1. Machine limits.
    console.log(`limit dd bs=1M count=${TOTAL / MiB} conv=fdatasync: ${ddLimit(root)}`);
    await rm(join(root, "dd.bin"), { force: true });
    // Warm-up write (the first GiB a process writes is much slower on this VM), then rounds that
    // alternate the plain loop and the log so both see the same machine state; best of ROUNDS.
    plainWriteLoop(join(root, "warmup.bin"), MiB);
    await rm(join(root, "warmup.bin"));
    const best = { plain1M: Infinity, plain16K: Infinity, big: 0, small: 0 };
    let small: { ms: number; bytes: number; log: Log } | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      execFileSync("sync");
      best.plain1M = Math.min(best.plain1M, plainWriteLoop(join(root, "plain.bin"), MiB));
      await rm(join(root, "plain.bin"));
      execFileSync("sync");
      best.plain16K = Math.min(best.plain16K, plainWriteLoop(join(root, "plain.bin"), 16 * 1024));
      await rm(join(root, "plain.bin"));
      execFileSync("sync");
      const big = await appendRun(join(root, "big"), MiB, 1, 8);
      await big.log.close();
      await rm(join(root, "big"), { recursive: true });
      best.big = Math.max(best.big, big.bytes / big.ms);
      execFileSync("sync");
      if (small !== undefined) await rm(join(root, "small"), { recursive: true });
      small = await appendRun(join(root, "small"), 16 * 1024, 16, 256);
      best.small = Math.max(best.small, small.bytes / small.ms);
      if (round < ROUNDS - 1) await small.log.close();
    }
    const plainRate = TOTAL / best.plain1M;
    console.log(`limit plain fs.writeSync loop, 1 MiB chunks: ${gbps(TOTAL, best.plain1M)} (best of ${ROUNDS})`);
    console.log(`info  plain fs.writeSync loop, 16 KiB chunks: ${gbps(TOTAL, best.plain16K)} (best of ${ROUNDS})`);
    console.log(`append 1 MiB batches (8 in flight): ${gbps(best.big, 1)} = ${((best.big / plainRate) * 100).toFixed(0)}% of the plain loop (goal >= 80%)`);
    console.log(`append 16 KiB batches (256 in flight, i.e. many producers): ${gbps(best.small, 1)} = ${((best.small / plainRate) * 100).toFixed(0)}% of the plain loop (goal >= 50%); ${Math.round((best.small * 1000) / (16 * 1024))} appends/s`);
    if (small === undefined) throw new Error("no rounds");

    // 3. Recovery of the 16 KiB-batch log (1 GiB, ~65k batches): clean, then as after a crash.
    const size = small.log.sizeInBytes;
    await small.log.close();
    let t0 = performance.now();
    let reopened = await Log.open(join(root, "small"));
    const cleanMs = performance.now() - t0;
    console.log(`recovery after clean shutdown, ${(size / MiB).toFixed(0)} MiB log: ${cleanMs.toFixed(0)} ms (goal < 1000 ms)`);
    const leo = reopened.logEndOffset;
    await reopened.close();
    // Crash: no clean-shutdown marker and a recovery point of 0 (nothing known flushed): full scan.
    await rm(join(root, "small", ".kafka_cleanshutdown"));
    await writeFile(join(root, "small", "log-checkpoint"), "0\n2\nrecoveryPoint 0\nlogStartOffset 0\n");
    t0 = performance.now();
    reopened = await Log.open(join(root, "small"));
    const crashMs = performance.now() - t0;
    if (reopened.logEndOffset !== leo) throw new Error(`recovery lost data: ${reopened.logEndOffset} != ${leo}`);
    console.log(`recovery after crash (full CRC scan), ${(size / MiB).toFixed(0)} MiB log: ${crashMs.toFixed(0)} ms (goal < 5000 ms)`);
    await reopened.close();
    await rm(join(root, "small"), { recursive: true });

    // 4. Tail read of the last 64 MiB from the cache.
    const tail = await Log.open(join(root, "tail-0"), { tailCacheBytes: 128 * MiB });
    for (let i = 0; i < (96 * MiB) / (16 * 1024); i++) await tail.append(makeSizedBatch(16, 16 * 1024));
    const perBatch = makeSizedBatch(16, 16 * 1024).length;
    const tailBatches = Math.floor((64 * MiB) / perBatch);
    const from = tail.logEndOffset - tailBatches * 16;
    let readBytes = 0;
    const bench = new Bench({ time: 1000 });
    bench.add("read last 64 MiB (tail cache)", async () => {
      const r = await tail.read(from, 64 * MiB);
      readBytes = r.bytes;
    });
    await bench.run();
    const task = bench.tasks[0]!;
    const meanMs = task.result && "latency" in task.result ? task.result.latency.mean : NaN;
    console.log(`tail read of the last ${(readBytes / MiB).toFixed(0)} MiB from the cache: ${gbps(readBytes, meanMs)} (mean ${meanMs.toFixed(3)} ms/read; goal >= 2 GB/s)`);
    // The cache hands out views, not copies; for scale, the cost of materializing them once.
    const copyStart = performance.now();
    const copied = Buffer.concat((await tail.read(from, 64 * MiB)).buffers);
    console.log(`info  copying that read into one Buffer: ${gbps(copied.length, performance.now() - copyStart)}`);
    await tail.close();
    const fileLog = await Log.open(join(root, "tail-0"), { tailCacheBytes: 0 });
    t0 = performance.now();
    let fileBytes = 0;
    for (let i = 0; i < 5; i++) fileBytes += (await fileLog.read(from, 64 * MiB)).bytes;
    console.log(`info  the same read from the file (page cache, positional read): ${gbps(fileBytes, performance.now() - t0)}`);
    await fileLog.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
