#!/usr/bin/env node
// Single-node hardening figures (issue 13), each against a real broker process (apps/broker's main,
// what bin/kafka-server-start.sh runs):
//   1. full disk: a 48 MiB tmpfs (needs root) produced into with acks=all until refused, with the
//      free-space floor (gregor.storage.min.free.bytes, default 16 MiB) and without it (0, Kafka's
//      behaviour: the write fails): records acknowledged, what is readable after, SIGTERM to exit,
//      and (floor on) a restart on the full disk: time to listen, records readable;
//   2. idle connections: --idle (default 10,000) TCP connections held open: the broker's RSS and an
//      unrelated client's ApiVersions round trip (p50/p99) before and with them.
// Runs the sources (the "source" export condition through tsx): no build needed.
// Writes bench/results/hardening.json and its section of bench/RESULTS.md.
//   3. a client that pipelines 3,000 Fetches of 1 MiB and never reads: the broker's RSS and another
//      client's round trips (--only-never-reads runs just this, without writing results).
//   Usage: node bench/hardening.mjs [--idle 10000] [--no-disk] [--only-never-reads]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(ROOT, "apps/broker/src/main.ts");
const SOURCE_FLAGS = ["--conditions=source", "--import", "tsx"];
const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const log = (...a) => console.error("[hardening]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startBroker(overrides) {
  const argv = Object.entries(overrides).flatMap(([k, v]) => ["--override", `${k}=${v}`]);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...SOURCE_FLAGS, MAIN, ...argv], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GREGOR_LOG_LEVEL: "info" },
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const exited = new Promise((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const check = () => {
      if (out.includes('"msg":"Gregor broker listening on ')) {
        child.stdout.off("data", check);
        resolve({ child, exited, log: () => out, startMs: performance.now() - t0 });
      }
    };
    child.stdout.on("data", check);
    void exited.then((code) => reject(new Error(`broker exited ${code}: ${out.slice(-2000)}`)));
  });
}

async function stop(broker) {
  const t0 = performance.now();
  broker.child.kill("SIGTERM");
  const code = await Promise.race([broker.exited, sleep(30_000).then(() => "timeout")]);
  if (code === "timeout") broker.child.kill("SIGKILL");
  return { code, ms: performance.now() - t0 };
}

async function produceUntilRefused(Producer, bootstrap, topic) {
  const producer = new Producer({ bootstrapBrokers: [bootstrap], acks: "all", deliveryTimeoutMs: 3000, lingerMs: 0 });
  const value = "x".repeat(1000);
  let acked = 0;
  let error = null;
  try {
    for (;;) {
      await producer.send(
        topic,
        Array.from({ length: 50 }, (_, j) => ({ value: `${acked + j}:${value}` })),
      );
      acked += 50;
    }
  } catch (e) {
    error = String(e.message ?? e).slice(0, 160);
  } finally {
    await producer.close().catch(() => undefined);
  }
  return { acked, error };
}

/** Reads `atLeast` records; `inOrder`: the first `acked` are 0, 1, 2, ... (the rest: the refused send's written part). */
async function readAll(Consumer, bootstrap, topic, atLeast) {
  const consumer = new Consumer({ bootstrapBrokers: [bootstrap], maxWaitMs: 50 });
  consumer.assign([{ topic, partition: 0, offset: 0n }]);
  let read = 0;
  let inOrder = true;
  const deadline = performance.now() + 60_000;
  try {
    while (read < atLeast && performance.now() < deadline) {
      const batch = await consumer.nextBatch({ timeoutMs: 500 });
      for (const m of batch?.messages ?? []) {
        if (read < atLeast && Number(m.value.toString().split(":")[0]) !== read) inOrder = false;
        read++;
      }
    }
  } finally {
    await consumer.close();
  }
  return { read, inOrder };
}

async function diskRun(clients, port, floorBytes) {
  const dir = mkdtempSync(join(tmpdir(), "gregor-bench-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${48 * MiB}`, "tmpfs", dir]);
  const bootstrap = `127.0.0.1:${port}`;
  const config = {
    "log.dirs": join(dir, "data"),
    listeners: `PLAINTEXT://${bootstrap}`,
    "gregor.admin.port": -1,
    "gregor.storage.min.free.bytes": floorBytes,
  };
  try {
    const first = await startBroker(config);
    const t0 = performance.now();
    const produced = await produceUntilRefused(clients.Producer, bootstrap, "full");
    const produceSeconds = (performance.now() - t0) / 1000;
    const freeAtRefusal = statfsSync(dir).bavail * statfsSync(dir).bsize;
    const readBefore = await readAll(clients.Consumer, bootstrap, "full", produced.acked);
    const stopped = await stop(first);
    const run = {
      floorBytes,
      acked: produced.acked,
      refusal: produced.error,
      produceSeconds,
      freeBytesAtRefusal: freeAtRefusal,
      readable: readBefore,
      sigtermExitCode: stopped.code,
      sigtermMs: stopped.ms,
    };
    if (floorBytes > 0) {
      const second = await startBroker(config);
      run.restartOnFullDiskMs = second.startMs;
      run.readableAfterRestart = await readAll(clients.Consumer, bootstrap, "full", produced.acked);
      await stop(second);
    }
    return run;
  } finally {
    execFileSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? -1 : Number(m[1]) * 1024;
}

/** p50/p99 of ApiVersions v0 round trips on one connection. */
async function roundTrips(port, n) {
  const s = connect(port, "127.0.0.1");
  await new Promise((r) => s.once("connect", r));
  const frame = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0]);
  const times = [];
  let pending = null;
  let buf = Buffer.alloc(0);
  s.on("data", (c) => {
    buf = Buffer.concat([buf, c]);
    if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      buf = buf.subarray(4 + buf.readInt32BE(0));
      pending?.();
    }
  });
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise((r) => {
      pending = r;
      s.write(frame);
    });
    times.push(performance.now() - t0);
  }
  s.destroy();
  times.sort((a, b) => a - b);
  const q = (p) => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] * 1000) / 1000;
  return { p50Ms: q(0.5), p99Ms: q(0.99) };
}

async function idleRun(port, idle) {
  const dir = mkdtempSync(join(tmpdir(), "gregor-bench-idle-"));
  const broker = await startBroker({
    "log.dirs": dir,
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    "gregor.admin.port": -1,
  });
  const sockets = [];
  try {
    await sleep(1000);
    const before = { rssBytes: rssBytes(broker.child.pid), ...(await roundTrips(port, 3000)) };
    const t0 = performance.now();
    for (let i = 0; i < idle; i += 200) {
      const batch = Array.from({ length: Math.min(200, idle - i) }, () => {
        const s = connect(port, "127.0.0.1");
        s.on("error", () => undefined);
        sockets.push(s);
        return new Promise((r) => s.once("connect", r));
      });
      await Promise.all(batch);
    }
    const openSeconds = (performance.now() - t0) / 1000;
    await sleep(2000);
    const withIdle = { rssBytes: rssBytes(broker.child.pid), ...(await roundTrips(port, 3000)) };
    return { idle, openSeconds, before, withIdle };
  } finally {
    for (const s of sockets) s.destroy();
    await stop(broker);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A client that pipelines `requests` Fetches of 1 MiB (from a topic holding ~5 MB) and never reads
 * a response: the broker's RSS before and after, and an unrelated client's round trips meanwhile.
 */
async function neverReadsRun(Producer, encodeRequestFrame, port, requests) {
  const dir = mkdtempSync(join(tmpdir(), "gregor-bench-never-reads-"));
  const broker = await startBroker({
    "log.dirs": dir,
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    "gregor.admin.port": -1,
  });
  try {
    const producer = new Producer({ bootstrapBrokers: [`127.0.0.1:${port}`], acks: 1 });
    const value = "v".repeat(10_000);
    for (let i = 0; i < 10; i++)
      await producer.send(
        "big",
        Array.from({ length: 50 }, () => ({ value })),
      );
    await producer.close();
    await sleep(1000);
    const before = { rssBytes: rssBytes(broker.child.pid), ...(await roundTrips(port, 2000)) };
    const fetch = Buffer.concat(
      encodeRequestFrame(1, 4, 1, "never-reads", {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: "big", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      }),
    );
    const greedy = connect(port, "127.0.0.1");
    greedy.on("error", () => undefined);
    await new Promise((r) => greedy.once("connect", r));
    greedy.pause();
    greedy.write(Buffer.concat(Array.from({ length: requests }, () => fetch)));
    await sleep(5000);
    const during = { rssBytes: rssBytes(broker.child.pid), ...(await roundTrips(port, 2000)) };
    greedy.destroy();
    return { requests, responseBytesIfAllBuilt: requests * (1 << 20), before, during };
  } finally {
    await stop(broker);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const { Producer, Consumer } = await import("../packages/client/src/index.ts");
  const { encodeRequestFrame } = await import("../packages/protocol/src/index.ts");
  const { freePort } = await import("../packages/testkit/src/free-port.ts");
  const load0 = loadavg()[0];
  const summary = { date: new Date().toISOString(), disk: [], idle: null, neverReads: null };
  if (args.includes("--only-never-reads")) {
    summary.neverReads = await neverReadsRun(Producer, encodeRequestFrame, await freePort(), 3000);
    log(JSON.stringify(summary.neverReads));
    return;
  }
  if (!args.includes("--no-disk")) {
    for (const floor of [16 * MiB, 0]) {
      log(`full disk, floor ${floor}`);
      summary.disk.push(await diskRun({ Producer, Consumer }, await freePort(), floor));
      log(JSON.stringify(summary.disk.at(-1)));
    }
  }
  log(`${flag("--idle", 10_000)} idle connections`);
  summary.idle = await idleRun(await freePort(), flag("--idle", 10_000));
  log(JSON.stringify(summary.idle));
  summary.neverReads = await neverReadsRun(Producer, encodeRequestFrame, await freePort(), 3000);
  log(JSON.stringify(summary.neverReads));
  summary.loadAverage = [load0, loadavg()[0]];
  writeFileSync(join(ROOT, "bench/results/hardening.json"), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary, null, 2));
}

if (!process.execArgv.includes("--conditions=source")) {
  const child = spawn(process.execPath, [...SOURCE_FLAGS, fileURLToPath(import.meta.url), ...args], {
    cwd: ROOT,
    stdio: "inherit",
  });
  child.on("exit", (code) => process.exit(code ?? 1));
} else {
  await main();
}
