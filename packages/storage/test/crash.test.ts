// Kills an appending child process at random moments; after each kill, reopening must keep every
// batch the child reported as flushed, keep no torn batch, and continue offsets without a gap.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { isBatchCrcValid } from "@gregor/protocol";
import { Prng } from "@gregor/testkit";
import { Log } from "../src/index.js";
import { batchesIn } from "./batches.js";
import { memoryLogger, tempDir } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
const ITERATIONS = 20;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface ChildRun {
  startOffset: number;
  flushed: [number, number][];
}

function runAndKill(dir: string, killAfterLines: number, delayMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", CHILD, dir], {
      cwd: fileURLToPath(new URL("../../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let startOffset = -1;
    const flushed: [number, number][] = [];
    let buffered = "";
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const [a, b] = line.split(" ");
        if (a === "ready") startOffset = Number(b);
        else flushed.push([Number(a), Number(b)]);
        if (!killed && flushed.length >= killAfterLines) {
          killed = true;
          setTimeout(() => child.kill("SIGKILL"), delayMs);
        }
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL") reject(new Error(`child exited ${code}: ${stderr}`));
      else if (startOffset < 0) reject(new Error(`child never became ready: ${stderr}`));
      else resolve({ startOffset, flushed });
    });
  });
}

describe("crash safety (SIGKILL during appends)", () => {
  it(`loses no flushed batch and keeps no torn batch over ${ITERATIONS} kills`, async () => {
    const { dir, cleanup } = await tempDir("gregor-crash-");
    cleanups.push(cleanup);
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    // mulberry32: the generator this test used before the test kit, so recorded seeds replay.
    const random = new Prng(seed, "mulberry32").random;
    let expectedStart = 0;
    const allFlushed: [number, number][] = [];
    let truncations = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const killAfter = 1 + Math.floor(random() * 150);
      const run = await runAndKill(dir, killAfter, Math.floor(random() * 4));
      expect(run.startOffset, `seed ${seed} iteration ${i}`).toBe(expectedStart);
      allFlushed.push(...run.flushed);
      const logger = memoryLogger();
      const log = await Log.open(dir, { segmentBytes: 64 * 1024, logger });
      if (logger.lines.some((l) => l.msg?.includes("recovery truncated"))) truncations++;
      try {
        // Every flushed append is there, and everything in the log is whole and CRC-valid.
        const lastFlushed = allFlushed[allFlushed.length - 1]?.[1] ?? -1;
        expect(log.logEndOffset, `seed ${seed} iteration ${i}`).toBeGreaterThan(lastFlushed);
        let next = 0;
        const seen = new Set<number>();
        while (next < log.logEndOffset) {
          const r = await log.read(next, 4 << 20);
          expect(r.bytes).toBeGreaterThan(0);
          for (const buf of r.buffers) {
            let pos = 0;
            for (const b of batchesIn(buf)) {
              expect(isBatchCrcValid(buf, pos), `seed ${seed}: batch ${b.baseOffset} CRC`).toBe(true);
              expect(b.baseOffset, `seed ${seed}: gap before ${b.baseOffset}`).toBe(next);
              seen.add(b.baseOffset);
              next = b.lastOffset + 1;
              pos += b.size;
            }
          }
        }
        expect(next).toBe(log.logEndOffset);
        for (const [base] of allFlushed) expect(seen.has(base), `seed ${seed}: flushed batch ${base} lost`).toBe(true);
        expectedStart = log.logEndOffset;
      } finally {
        await log.close();
      }
    }
    // Logged so a run shows whether kills landed mid-write (not asserted: timing dependent).
    console.log(
      `crash test seed ${seed}: ${ITERATIONS} kills, ${truncations} torn tails truncated, ${allFlushed.length} flushed appends`,
    );
  });
});
