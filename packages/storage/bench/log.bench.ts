// Storage bench: the machine's own write limits, then the log's append, tail-read and recovery
// figures against them. Run: node scripts/run-bench.mjs packages/storage/bench/log.bench.ts
// (BENCH_TRANSFER=0: appends with the default options instead of handing buffers over)
// (plain node on the bundled sources; a TS loader in the process inflates the CPU per append).
import { execFileSync } from "node:child_process";
import { closeSync, openSync, write, writeSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bench } from "tinybench";
import { isBatchCrcValid } from "@gregor/protocol";
import { Log } from "../src/index.js";
import { makeSizedBatch } from "../test/batches.js";

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_BYTES ?? GiB);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** BENCH_TRANSFER=0: appends with the default options instead of handing the buffers over (as the broker does). */
const TRANSFER = process.env.BENCH_TRANSFER !== "0";
const HOW = TRANSFER ? "handed over" : "default options";
const TRANSFER_OPTIONS = { transfer: true };
const DEFAULT_OPTIONS = {};
const gbps = (bytes: number, ms: number): string => `${(bytes / 1e9 / (ms / 1000)).toFixed(2)} GB/s`;

/** dd with fdatasync: the disk's sequential write limit. dd prints its summary on stderr. */
function ddLimit(root: string): string {
  const path = join(root, "dd.bin");
  const out = execFileSync(
    "sh",
    ["-c", `dd if=/dev/zero of=${path} bs=1M count=${TOTAL / MiB} conv=fdatasync 2>&1 | tail -1`],
    {
      encoding: "utf8",
    },
  );
  return out.trim();
}

/**
 * The plain baseline: a loop of fs.writeSync of `chunkBytes` to a file on the same disk. `fresh`
 * (the honest baseline) writes a newly allocated buffer each time, filled by copying a template,
 * i.e. it pays for touching new memory as a producer's data arriving from the network does;
 * otherwise one cached buffer is rewritten (an upper bound). Returns wall and CPU ms.
 */
function plainWriteLoop(path: string, chunkBytes: number, fresh: boolean): { ms: number; cpuMs: number } {
  const template = Buffer.alloc(chunkBytes, 0x61);
  const fd = openSync(path, "w");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let written = 0; written < TOTAL; written += chunkBytes) {
    if (fresh) {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      template.copy(chunk);
      writeSync(fd, chunk);
    } else {
      writeSync(fd, template);
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  closeSync(fd);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * Hands `submit` fresh copies of `template` (allocated and copied per call, so the data
 * production cost is the same as the fresh plain loop's) until `TOTAL` bytes, `window` in flight.
 */
async function windowed(
  template: Buffer,
  window: number,
  submit: (buf: Buffer) => Promise<unknown>,
): Promise<{ ms: number; cpuMs: number; bytes: number }> {
  const n = Math.floor(TOTAL / template.length);
  const inFlight: Promise<unknown>[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const buf = Buffer.allocUnsafe(template.length);
    template.copy(buf);
    inFlight.push(submit(buf));
    if (inFlight.length >= window) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, bytes: n * template.length };
}

/**
 * Appends `TOTAL` bytes of batches of about `batchBytes`, `window` appends in flight; `transfer`
 * hands each buffer over (as the broker does with request buffers), otherwise the append uses
 * the default options.
 */
async function appendRun(
  dir: string,
  batchBytes: number,
  records: number,
  window: number,
  transfer: boolean,
): Promise<{ ms: number; cpuMs: number; bytes: number; log: Log }> {
  const log = await Log.open(dir);
  const options = transfer ? TRANSFER_OPTIONS : DEFAULT_OPTIONS;
  return { ...(await windowed(makeSizedBatch(records, batchBytes), window, (buf) => log.append(buf, options))), log };
}

/**
 * The least any append path must do per batch, with nothing of the log: the same fresh buffer
 * and copy as appendRun, the CRC check (the same function the log uses), and a positional async
 * write, `window` in flight. Its figure is the ceiling for the log's append on this machine.
 */
async function barePipelineRun(
  path: string,
  batchBytes: number,
  window: number,
): Promise<{ ms: number; cpuMs: number; bytes: number }> {
  const fd = openSync(path, "w");
  let position = 0;
  const run = await windowed(makeSizedBatch(1, batchBytes), window, (buf) => {
    if (!isBatchCrcValid(buf, 0)) throw new Error("CRC mismatch");
    const at = position;
    position += buf.length;
    return new Promise<void>((resolve, reject) =>
      write(fd, buf, 0, buf.length, at, (e) => (e === null ? resolve() : reject(e))),
    );
  });
  closeSync(fd);
  return run;
}

/**
 * Writes and deletes a `TOTAL`-byte scratch file. This VM (Firecracker) hands memory the guest
 * freed a while ago back to the host, and the first touch of such a page costs a host fault:
 * a write loop into cold page cache runs at 0.6-0.8 GB/s instead of ~3 GB/s, at random between
 * identical runs. Warming before every measured run (plain loops and the log alike) makes both
 * draw page-cache memory that was freed moments ago, so the figures compare the code.
 */
function warmPageCache(root: string): void {
  const path = join(root, "warm.bin");
  plainWriteLoop(path, MiB, false);
  execFileSync("rm", [path]);
}

const loadAverage = (): string =>
  execFileSync("uptime", { encoding: "utf8" })
    .trim()
    .replace(/^.*load average/, "load average");

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "gregor-storage-bench-"));
  try {
    console.log(`# @gregor/storage bench — ${new Date().toISOString()} — ${TOTAL / MiB} MiB per run, tmp dir ${root}`);

    // 1. Machine limits.
    console.log(`limit dd bs=1M count=${TOTAL / MiB} conv=fdatasync: ${ddLimit(root)}`);
    await rm(join(root, "dd.bin"), { force: true });
    // Rounds alternate the plain loops and the log so all see the same machine state, each run
    // after a page-cache warm-up (see warmPageCache); best of ROUNDS.
    console.log(`${loadAverage()} (before the rounds)`);
    type Figure = { rate: number; cpuMsPerGiB: number };
    const better = (a: Figure, bytes: number, ms: number, cpuMs: number): Figure =>
      bytes / ms > a.rate ? { rate: bytes / ms, cpuMsPerGiB: (cpuMs * GiB) / bytes } : a;
    const none = (): Figure => ({ rate: 0, cpuMsPerGiB: NaN });
    const best = {
      fresh1M: none(),
      fresh16K: none(),
      hot1M: none(),
      hot16K: none(),
      bare1M: none(),
      big: none(),
      oneAtATime: none(),
      small: none(),
    };
    let small: { ms: number; cpuMs: number; bytes: number; log: Log } | undefined;
    // Each round's log figure over the same round's plain loop: paired, so drift between rounds cancels.
    const last = { fresh1M: 0, fresh16K: 0, hot1M: 0, hot16K: 0 };
    const paired: { big: number[]; small: number[] } = { big: [], small: [] };
    const plain = async (
      key: "fresh1M" | "fresh16K" | "hot1M" | "hot16K",
      chunk: number,
      fresh: boolean,
    ): Promise<void> => {
      execFileSync("sync");
      warmPageCache(root);
      const r = plainWriteLoop(join(root, "plain.bin"), chunk, fresh);
      best[key] = better(best[key], TOTAL, r.ms, r.cpuMs);
      last[key] = TOTAL / r.ms;
      await rm(join(root, "plain.bin"));
    };
    // 1 MiB appends into a fresh log after the warm-up, `window` in flight; the log is then removed.
    const oneMiBRun = async (name: string, window: number): Promise<{ ms: number; cpuMs: number; bytes: number }> => {
      execFileSync("sync");
      warmPageCache(root);
      const run = await appendRun(join(root, name), MiB, 1, window, TRANSFER);
      await run.log.close();
      await rm(join(root, name), { recursive: true });
      return run;
    };
    for (let round = 0; round < ROUNDS; round++) {
      await plain("fresh1M", MiB, true);
      await plain("hot1M", MiB, false);
      execFileSync("sync");
      warmPageCache(root);
      const bare = await barePipelineRun(join(root, "bare.bin"), MiB, 8);
      best.bare1M = better(best.bare1M, bare.bytes, bare.ms, bare.cpuMs);
      await rm(join(root, "bare.bin"));
      const big = await oneMiBRun("big", 8);
      best.big = better(best.big, big.bytes, big.ms, big.cpuMs);
      paired.big.push(big.bytes / big.ms / last.fresh1M);
      const one = await oneMiBRun("one", 1);
      best.oneAtATime = better(best.oneAtATime, one.bytes, one.ms, one.cpuMs);
      await plain("fresh16K", 16 * 1024, true);
      await plain("hot16K", 16 * 1024, false);
      execFileSync("sync");
      if (small !== undefined) await rm(join(root, "small"), { recursive: true });
      warmPageCache(root);
      small = await appendRun(join(root, "small"), 16 * 1024, 16, 256, TRANSFER);
      best.small = better(best.small, small.bytes, small.ms, small.cpuMs);
      paired.small.push(small.bytes / small.ms / last.fresh16K);
      if (round < ROUNDS - 1) await small.log.close();
    }
    const line = (label: string, f: Figure): string =>
      `${label}: ${gbps(f.rate, 1)}, ${f.cpuMsPerGiB.toFixed(0)} ms CPU/GiB`;
    console.log(line(`limit plain fs.writeSync loop, fresh 1 MiB buffers (best of ${ROUNDS})`, best.fresh1M));
    console.log(line(`limit plain fs.writeSync loop, fresh 16 KiB buffers (best of ${ROUNDS})`, best.fresh16K));
    console.log(line(`info  plain fs.writeSync loop, one cached 1 MiB buffer rewritten`, best.hot1M));
    console.log(line(`info  plain fs.writeSync loop, one cached 16 KiB buffer rewritten`, best.hot16K));
    const pct = (a: Figure, b: Figure): string => `${((a.rate / b.rate) * 100).toFixed(0)}%`;
    console.log(
      `${line("limit bare pipeline, fresh 1 MiB batches: copy, CRC check, async positional write (8 in flight), no log", best.bare1M)} = ${pct(best.bare1M, best.fresh1M)} of the fresh 1 MiB loop`,
    );
    console.log(
      `${line(`append 1 MiB batches (8 in flight, fresh buffers, ${HOW})`, best.big)} = ${pct(best.big, best.fresh1M)} of the fresh 1 MiB loop (goal >= 80%), ${pct(best.big, best.hot1M)} of the cached-buffer loop, ${pct(best.big, best.bare1M)} of the bare pipeline`,
    );
    console.log(
      `${line(`append 1 MiB batches one at a time (each awaited, ${HOW})`, best.oneAtATime)} = ${pct(best.oneAtATime, best.fresh1M)} of the fresh 1 MiB loop`,
    );
    console.log(
      `${line(`append 16 KiB batches (256 in flight, fresh buffers, ${HOW})`, best.small)} = ${pct(best.small, best.fresh16K)} of the fresh 16 KiB loop (goal >= 50%), ${pct(best.small, best.hot16K)} of the cached-buffer loop; ${Math.round((best.small.rate * 1000) / (16 * 1024))} appends/s`,
    );
    const spread = (xs: number[]): string => {
      const sorted = [...xs].sort((a, b) => a - b).map((x) => `${(x * 100).toFixed(0)}%`);
      return `${sorted.join(" ")} (median ${sorted[Math.floor(sorted.length / 2)]})`;
    };
    console.log(
      `info  per round (noise: the plain loop swings too), append over that round's fresh plain loop: 1 MiB ${spread(paired.big)}; 16 KiB ${spread(paired.small)}`,
    );
    console.log(`${loadAverage()} (after the rounds)`);
    if (small === undefined) throw new Error("no rounds");

    // 3. Recovery of the 16 KiB-batch log (1 GiB, ~65k batches): clean, then as after a crash.
    const size = small.log.sizeInBytes;
    await small.log.close();
    let t0 = performance.now();
    let reopened = await Log.open(join(root, "small"));
    const cleanMs = performance.now() - t0;
    console.log(
      `recovery after clean shutdown, ${(size / MiB).toFixed(0)} MiB log: ${cleanMs.toFixed(0)} ms (goal < 1000 ms)`,
    );
    const leo = reopened.logEndOffset;
    await reopened.close();
    // Crash: no clean-shutdown marker and a recovery point of 0 (nothing known flushed): full scan.
    await rm(join(root, "small", ".kafka_cleanshutdown"));
    await writeFile(join(root, "small", "log-checkpoint"), "0\n2\nrecoveryPoint 0\nlogStartOffset 0\n");
    t0 = performance.now();
    reopened = await Log.open(join(root, "small"));
    const crashMs = performance.now() - t0;
    if (reopened.logEndOffset !== leo) throw new Error(`recovery lost data: ${reopened.logEndOffset} != ${leo}`);
    console.log(
      `recovery after crash (full CRC scan), ${(size / MiB).toFixed(0)} MiB log: ${crashMs.toFixed(0)} ms (goal < 5000 ms)`,
    );
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
    console.log(
      `tail read of the last ${(readBytes / MiB).toFixed(0)} MiB from the cache: ${gbps(readBytes, meanMs)} (mean ${meanMs.toFixed(3)} ms/read; goal >= 2 GB/s)`,
    );
    // The cache hands out views, not copies; for scale, the cost of materializing them once.
    const copyStart = performance.now();
    const copied = Buffer.concat((await tail.read(from, 64 * MiB)).buffers);
    console.log(`info  copying that read into one Buffer: ${gbps(copied.length, performance.now() - copyStart)}`);
    await tail.close();
    const fileLog = await Log.open(join(root, "tail-0"), { tailCacheBytes: 0 });
    t0 = performance.now();
    let fileBytes = 0;
    for (let i = 0; i < 5; i++) fileBytes += (await fileLog.read(from, 64 * MiB)).bytes;
    console.log(
      `info  the same read from the file (page cache, positional read): ${gbps(fileBytes, performance.now() - t0)}`,
    );
    await fileLog.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
