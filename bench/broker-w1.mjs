#!/usr/bin/env node
// Workload W1 against the Gregor broker and, in the same session, the librdkafka mock broker:
//   1,000,000 records x 100 B, one partition, acks=all, one producer; one consumer from the
//   beginning; then 20,000 records/s for 10 s (kperf e2e, linger 0) for publish latency, and the
//   same paced publishing without the consumer (kperf produce -r 20000).
// Also measures the machine (dd disk throughput) and the embedded broker's start-up time to its
// first accepted connection. Writes bench/results/broker-w1.json and the W1 section of
// bench/RESULTS.md.   Usage: node bench/broker-w1.mjs [--runs 3] [--no-build]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, kperf } from "./lib/kperf.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1] ?? 3) || 3;
const log = (...a) => console.error("[w1]", ...a);
const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b); // failed reference runs are NaN
  return v.length === 0 ? NaN : v[Math.floor(v.length / 2)];
};

function ensureTools() {
  mkdirSync(BIN, { recursive: true });
  for (const [name, libs] of [
    ["kperf", ["-lrdkafka", "-lpthread"]],
    ["mockbroker", ["-lrdkafka"]],
  ]) {
    if (!existsSync(join(BIN, name)))
      execFileSync(
        "gcc",
        ["-O2", "-o", join(BIN, name), new URL(`../../shared/tools/${name}.c`, import.meta.url).pathname, ...libs],
        { stdio: "inherit" },
      );
  }
  if (!args.includes("--no-build") || !existsSync(join(ROOT, "apps/broker/dist/main.js"))) {
    log("building apps/broker");
    execFileSync("pnpm", ["exec", "turbo", "run", "build", "--filter=gregor-broker...", "--output-logs=errors-only"], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, npm_config_nodedir: "/usr" },
    });
  }
}

function waitPort(port, timeoutMs = 20_000) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ port, host: "127.0.0.1" }, () => {
        s.destroy();
        resolve();
      });
      s.on("error", () => {
        s.destroy();
        if (Date.now() - t0 > timeoutMs) reject(new Error(`port ${port} not accepting`));
        else setTimeout(attempt, 2);
      });
    };
    attempt();
  });
}

function ddThroughput() {
  const dir = mkdtempSync(join(tmpdir(), "w1-dd-"));
  try {
    // dd reports on stderr; spawnSync keeps it.
    return (
      spawnSync("dd", ["if=/dev/zero", `of=${join(dir, "dd")}`, "bs=1M", "count=512", "conv=fdatasync"], {
        encoding: "utf8",
      }).stderr ?? ""
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseDd(text) {
  const m = /copied, ([\d.]+) s, ([\d.]+) (\w+)\/s/.exec(text);
  return m === null ? null : { secs: Number(m[1]), rate: `${m[2]} ${m[3]}/s` };
}

let port = 29092;
async function startGregor(dataDir) {
  const p = port++;
  // --trace-gc to a file (never a pipe: the bench blocks in kperf while the broker runs) so the
  // young-generation pauses of the 20k/s phase can be reported beside its latency.
  const gcTrace = join(dataDir, "..", `w1-gc-${process.pid}-${p}.log`);
  const gcFd = openSync(gcTrace, "w");
  const child = spawn(
    process.execPath,
    [
      "--trace-gc",
      join(ROOT, "apps/broker/dist/main.js"),
      "--override",
      `log.dirs=${dataDir}`,
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:${p}`,
      "--override",
      "gregor.admin.port=-1",
      "--override",
      "group.initial.rebalance.delay.ms=0",
    ],
    { stdio: ["ignore", gcFd, "inherit"], env: { ...process.env, GREGOR_LOG_LEVEL: "warn" } },
  );
  closeSync(gcFd);
  await waitPort(p);
  const stop = () =>
    new Promise((r) => {
      child.once("exit", r);
      child.kill("SIGTERM");
    });
  return { bootstrap: `127.0.0.1:${p}`, gcTrace, stop: () => stop().finally(() => rmSync(gcTrace, { force: true })) };
}

async function startMock() {
  const child = spawn(join(BIN, "mockbroker"), ["-B", "1", "-t", "w1", "-p", "1"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const bootstrap = await new Promise((resolve) =>
    child.stdout.once("data", (c) => resolve(c.toString().trim().split("\n")[0].trim())),
  );
  return {
    bootstrap,
    reference: true,
    stop: () =>
      new Promise((r) => {
        child.once("exit", r);
        child.kill("SIGTERM");
      }),
  };
}

async function w1(target, run) {
  const topic = `w1-r${run}`;
  const b = target.bootstrap;
  kperf(["create", "-b", b, "-t", topic, "-p", "1"]);
  const produce = kperf(["produce", "-b", b, "-t", topic, "-n", "1000000", "-s", "100", "-a", "all", "-q"]);
  let consume;
  try {
    consume = kperf(["consume", "-b", b, "-t", topic, "-n", "1000000", "-T", "3", "-q"]);
  } catch (e) {
    consume = { records_s: NaN, records: 0, error: String(e.message).slice(0, 200) };
  }
  kperf(["create", "-b", b, "-t", `${topic}-e2e`, "-p", "1"]);
  const gcFrom = target.gcTrace === undefined ? 0 : statSync(target.gcTrace).size;
  // librdkafka's mock sometimes loses its consumer here (offset resets, then kperf gives up):
  // a failed reference run is recorded as such rather than aborting the bench.
  const tolerate = (fn) => {
    try {
      return fn();
    } catch (e) {
      if (!target.reference) throw e;
      log("reference run failed:", String(e.message).split("\n")[0]);
      return { ack_p50_ms: NaN, ack_p99_ms: NaN, e2e_p99_ms: NaN, error: String(e.message).slice(0, 200) };
    }
  };
  const e2e = tolerate(() =>
    kperf([
      "e2e",
      "-b",
      b,
      "-t",
      `${topic}-e2e`,
      "-n",
      "200000",
      "-r",
      "20000",
      "-l",
      "0",
      "-s",
      "100",
      "-a",
      "all",
      "-q",
    ]),
  );
  if (target.gcTrace !== undefined) e2e.gc = scavenges(readFileSync(target.gcTrace).subarray(gcFrom).toString("utf8"));
  // The same paced publishing without the tailing consumer: the publish path alone.
  const paced = tolerate(() =>
    kperf([
      "produce",
      "-b",
      b,
      "-t",
      `${topic}-paced`,
      "-n",
      "200000",
      "-r",
      "20000",
      "-l",
      "0",
      "-s",
      "100",
      "-a",
      "all",
      "-q",
    ]),
  );
  return { produce, consume, e2e, paced };
}

/** Scavenge pauses in `--trace-gc` output: "Scavenge 35.1 (55.2) -> 22.8 (55.4) MB, 1.02 / 0.00 ms". */
function scavenges(text) {
  const pauses = [...text.matchAll(/Scavenge .*? MB, ([\d.]+) \/ [\d.]+ ms/g)].map((m) => Number(m[1]));
  const sum = pauses.reduce((a, b) => a + b, 0);
  return {
    scavenges: pauses.length,
    avg_ms: pauses.length === 0 ? 0 : sum / pauses.length,
    max_ms: Math.max(0, ...pauses),
    over_1ms: pauses.filter((x) => x > 1).length,
    total_ms: sum,
    mark_compacts: (text.match(/Mark-Compact/g) ?? []).length,
  };
}

function summarize(runs) {
  return {
    produce_records_s: median(runs.map((r) => r.produce.records_s)),
    consume_records_s: median(runs.map((r) => r.consume.records_s)),
    consume_records: median(runs.map((r) => r.consume.records)),
    p50_ms: median(runs.map((r) => r.e2e.ack_p50_ms)),
    p99_ms: median(runs.map((r) => r.e2e.ack_p99_ms)),
    e2e_p99_ms: median(runs.map((r) => r.e2e.e2e_p99_ms)),
    paced_p50_ms: median(runs.map((r) => r.paced.ack_p50_ms)),
    paced_p99_ms: median(runs.map((r) => r.paced.ack_p99_ms)),
    p99_runs_ms: runs.map((r) => r.e2e.ack_p99_ms),
    paced_p99_runs_ms: runs.map((r) => r.paced.ack_p99_ms),
    gc:
      runs[0]?.e2e.gc === undefined
        ? undefined
        : Object.fromEntries(Object.keys(runs[0].e2e.gc).map((k) => [k, median(runs.map((r) => r.e2e.gc[k]))])),
  };
}

async function startupTimes(n = 5) {
  // Time from spawning `node` with an embedded startBroker() to the first accepted connection,
  // and the broker's own figure (startBroker() call -> listener accepting).
  const script = join(tmpdir(), `w1-startup-${process.pid}.mjs`);
  writeFileSync(
    script,
    `import { startBroker } from ${JSON.stringify(join(ROOT, "packages/broker/dist/index.js"))};\nconst b = await startBroker({ dataDir: process.argv[2], port: Number(process.argv[3]) });\nprocess.stdout.write(JSON.stringify({ startupMs: b.startupMs }) + "\\n");\nprocess.on("SIGTERM", async () => { await b.close(); process.exit(0); });\n`,
  );
  const out = [];
  for (let i = 0; i < n; i++) {
    const dir = mkdtempSync(join(tmpdir(), "w1-start-"));
    const p = port++;
    const t0 = performance.now();
    const child = spawn(process.execPath, [script, dir, String(p)], { stdio: ["ignore", "pipe", "inherit"] });
    await waitPort(p);
    const toAccept = performance.now() - t0;
    const line = await new Promise((r) => child.stdout.once("data", (c) => r(c.toString())));
    out.push({ processSpawnToAcceptMs: toAccept, startBrokerMs: JSON.parse(line).startupMs });
    await new Promise((r) => {
      child.once("exit", r);
      child.kill("SIGTERM");
    });
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(script, { force: true });
  return {
    startBrokerMs: median(out.map((x) => x.startBrokerMs)),
    processSpawnToAcceptMs: median(out.map((x) => x.processSpawnToAcceptMs)),
    samples: out,
  };
}

function writeResultsMd(result) {
  const path = join(ROOT, "bench", "RESULTS.md");
  const g = result.gregor;
  const m = result.mock;
  const f = (x, d = 0) =>
    Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "n/a";
  const section = [
    "<!-- broker-w1:start -->",
    "## Broker end to end: workload W1 (kperf on librdkafka 2.0.2)",
    "",
    `Command: \`node bench/broker-w1.mjs --runs ${result.runs}\` — run ${result.date} on ${result.machine.cpus} x ${result.machine.cpuModel}, Node ${process.version}.`,
    "1,000,000 records x 100 B, one partition, acks=all, one producer; one consumer (assign, from the beginning);",
    "then 20,000 records/s for 10 s with a consumer tailing the topic (`kperf e2e -l 0`), and the same paced publishing",
    "alone (`kperf produce -r 20000 -l 0`, 200,000 records). Medians of the runs; server and load generator share the machine.",
    "",
    "| target | produce rec/s | consume rec/s | publish p50 / p99 ms at 20k/s, consumer tailing | e2e p99 ms | publish p50 / p99 ms at 20k/s, producer alone |",
    "|---|---|---|---|---|---|",
    `| Gregor broker (apps/broker, data on disk) | ${f(g.produce_records_s)} | ${f(g.consume_records_s)} | ${f(g.p50_ms, 2)} / ${f(g.p99_ms, 2)} | ${f(g.e2e_p99_ms, 2)} | ${f(g.paced_p50_ms, 2)} / ${f(g.paced_p99_ms, 2)} |`,
    `| librdkafka mock (in memory, same session) | ${f(m.produce_records_s)} | ${f(m.consume_records_s)}${m.consume_records < 1_000_000 ? ` (${f(m.consume_records)} records kept)` : ""} | ${f(m.p50_ms, 2)} / ${f(m.p99_ms, 2)} | ${f(m.e2e_p99_ms, 2)} | ${f(m.paced_p50_ms, 2)} / ${f(m.paced_p99_ms, 2)} |`,
    `| Gregor / mock | ${f(g.produce_records_s / m.produce_records_s, 2)} | ${f(g.consume_records_s / m.consume_records_s, 2)} | ${f(g.p99_ms / m.p99_ms, 2)} (p99) | | ${f(g.paced_p99_ms / m.paced_p99_ms, 2)} (p99) |`,
    "",
    `Floors: produce >= 800,000 rec/s (${g.produce_records_s >= 800_000 ? "met" : "NOT met"}), consume >= 1,500,000 rec/s (${g.consume_records_s >= 1_500_000 ? "met" : "NOT met"}), publish p99 <= 1 ms at 20k/s (consumer tailing: ${g.p99_ms <= 1 ? "met" : "NOT met"}; producer alone: ${g.paced_p99_ms <= 1 ? "met" : "NOT met"}).`,
    `Publish p99 of each run, consumer tailing: ${g.p99_runs_ms.map((x) => f(x, 2)).join(", ")} ms; producer alone: ${g.paced_p99_runs_ms.map((x) => f(x, 2)).join(", ")} ms.`,
    "",
    ...(g.gc === undefined
      ? []
      : [
          `Broker young-generation GC during the 20k/s phase (\`--trace-gc\`, medians of the runs): ${f(g.gc.scavenges)} scavenges, avg ${f(g.gc.avg_ms, 2)} ms, max ${f(g.gc.max_ms, 2)} ms, ${f(g.gc.over_1ms)} over 1 ms (${f(g.gc.total_ms, 0)} ms in all); ${f(g.gc.mark_compacts)} mark-compacts.`,
          "",
        ]),
    `Machine load (1-minute load average, 2 cores shared with other work) at start / end: ${result.machine.loadavg1 ? `${f(result.machine.loadavg1.before, 2)} / ${f(result.machine.loadavg1.after, 2)}` : "n/a"}.`,
    `Machine limits measured in the same run: disk \`dd bs=1M count=512 conv=fdatasync\`: ${result.machine.dd?.rate ?? "n/a"}.`,
    `Embedded broker start-up (median of ${result.startup.samples.length}): startBroker() to listener accepting ${f(result.startup.startBrokerMs, 1)} ms; spawning \`node\` to its first accepted connection ${f(result.startup.processSpawnToAcceptMs, 1)} ms.`,
    "<!-- broker-w1:end -->",
  ].join("\n");
  let text = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmark results\n\n";
  const re = /<!-- broker-w1:start -->[\s\S]*<!-- broker-w1:end -->/;
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, text);
}

async function main() {
  ensureTools();
  const loadBefore = loadavg()[0];
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", dd: parseDd(ddThroughput()) };
  log("disk", machine.dd);
  const startup = await startupTimes();
  log(
    "startup",
    startup.startBrokerMs.toFixed(1),
    "ms in process;",
    startup.processSpawnToAcceptMs.toFixed(1),
    "ms from spawn",
  );
  const gregorRuns = [];
  const mockRuns = [];
  for (let run = 0; run < RUNS; run++) {
    const dataDir = mkdtempSync(join(tmpdir(), "w1-data-"));
    const g = await startGregor(dataDir);
    try {
      gregorRuns.push(await w1(g, run));
    } finally {
      await g.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    log("gregor run", run, JSON.stringify(summarize([gregorRuns.at(-1)])));
    const m = await startMock();
    try {
      mockRuns.push(await w1(m, run));
    } finally {
      await m.stop();
    }
    log("mock run", run, JSON.stringify(summarize([mockRuns.at(-1)])));
  }
  machine.loadavg1 = { before: loadBefore, after: loadavg()[0] };
  const result = {
    date: new Date().toISOString().slice(0, 10),
    runs: RUNS,
    machine,
    startup,
    gregor: summarize(gregorRuns),
    mock: summarize(mockRuns),
    raw: { gregor: gregorRuns, mock: mockRuns },
  };
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "broker-w1.json"), JSON.stringify(result, null, 2) + "\n");
  writeResultsMd(result);
  console.log(
    JSON.stringify(
      {
        gregor: result.gregor,
        mock: result.mock,
        startup: { startBrokerMs: startup.startBrokerMs, processSpawnToAcceptMs: startup.processSpawnToAcceptMs },
        disk: machine.dd,
      },
      null,
      2,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
