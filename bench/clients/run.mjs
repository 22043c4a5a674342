// pnpm bench:clients — starts one Gregor broker, then measures (each in its own process, one after
// another, same broker, same run): producer and consumer throughput for @gregor/client, kafkajs
// 2.2.4 and @platformatic/kafka (1,000,000 x 100-byte records, acks=1), single-record send()
// latency at 5,000 sends/s, and librdkafka's kperf as the native reference. One line per client.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const N = Number(process.env.BENCH_RECORDS ?? 1_000_000);

function kperfBinary() {
  const dir = join(tmpdir(), "gregor-bench");
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, "kperf");
  if (!existsSync(bin))
    execFileSync(
      "gcc",
      ["-O2", "-o", bin, new URL("../../../shared/tools/kperf.c", import.meta.url).pathname, "-lrdkafka", "-lpthread"],
      { stdio: "inherit" },
    );
  return bin;
}

const broker = spawn(tsx, [join(here, "broker.ts"), process.env.BENCH_DATA ?? "disk"], {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"],
});
const bootstrap = await new Promise((resolve, reject) => {
  createInterface({ input: broker.stdout }).once("line", (l) => resolve(l.trim()));
  broker.once("exit", (c) => reject(new Error(`broker exited ${c}`)));
});

function run(lib, mode, topic) {
  const r = spawnSync(tsx, [join(here, "client.ts"), lib, mode, bootstrap, topic, String(N)], {
    cwd: root,
    encoding: "utf8",
    timeout: 600_000,
  });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("RESULT "));
  if (!line)
    return { lib, mode, error: (r.stderr || r.stdout || "no output").trim().split("\n").slice(-3).join(" | ") };
  return JSON.parse(line.slice(7));
}

function kperf(mode, topic) {
  const args =
    mode === "produce"
      ? ["produce", "-b", bootstrap, "-t", topic, "-n", String(N), "-s", "100", "-a", "1"]
      : ["consume", "-b", bootstrap, "-t", topic, "-n", String(N)];
  const r = spawnSync(kperfBinary(), args, { encoding: "utf8", timeout: 600_000 });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("RESULT "));
  return line
    ? { lib: "librdkafka kperf", mode, ...JSON.parse(line.slice(7)) }
    : { lib: "librdkafka kperf", mode, error: (r.stderr || "").trim().split("\n").slice(-2).join(" | ") };
}

const results = [];
try {
  const stamp = Date.now();
  for (const lib of ["gregor", "kafkajs", "platformatic"]) {
    const topic = `bench-${lib}-${stamp}`;
    execFileSync("node", [
      join(root, "apps/cli/dist/main.js"),
      "topics",
      "--create",
      "--topic",
      topic,
      "--partitions",
      "1",
      "--replication-factor",
      "1",
      "--bootstrap-server",
      bootstrap,
    ]);
    results.push(run(lib, "produce", topic));
    results.push(run(lib, "consume", topic));
  }
  const lat = `bench-latency-${stamp}`;
  results.push(run("gregor", "latency", lat));
  const kt = `bench-kperf-${stamp}`;
  execFileSync("node", [
    join(root, "apps/cli/dist/main.js"),
    "topics",
    "--create",
    "--topic",
    kt,
    "--partitions",
    "1",
    "--replication-factor",
    "1",
    "--bootstrap-server",
    bootstrap,
  ]);
  results.push(kperf("produce", kt));
  results.push(kperf("consume", kt));
} finally {
  broker.kill("SIGTERM");
}

const fmt = (n) => (typeof n === "number" ? Math.round(n).toLocaleString("en-US") : String(n));
console.log(
  `# pnpm bench:clients — ${new Date().toISOString()} — ${N.toLocaleString("en-US")} x 100-byte records, acks=1, Gregor broker ${bootstrap}, ${process.env.BENCH_DATA ?? "disk"} log`,
);
const rate = (lib, mode) => results.find((r) => r.lib === lib && r.mode === mode)?.recordsPerSec;
for (const r of results) {
  if (r.error) console.log(`${r.lib.padEnd(18)} ${r.mode.padEnd(8)} ERROR ${r.error}`);
  else if (r.mode === "latency")
    console.log(
      `${r.lib.padEnd(18)} send()   p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms at ${r.ratePerSec} sends/s (${r.sends} single-record sends)`,
    );
  else if (r.lib === "librdkafka kperf")
    console.log(
      `${r.lib.padEnd(18)} ${r.mode.padEnd(8)} ${fmt(r.records_s)} rec/s (native reference, ${r.mib_s} MiB/s)`,
    );
  else
    console.log(`${r.lib.padEnd(18)} ${r.mode.padEnd(8)} ${fmt(r.recordsPerSec)} rec/s${r.note ? ` (${r.note})` : ""}`);
}
for (const mode of ["produce", "consume"]) {
  const g = rate("gregor", mode);
  const k = rate("kafkajs", mode);
  const p = rate("platformatic", mode);
  if (g && k && p)
    console.log(`ratio ${mode}: gregor/kafkajs ${(g / k).toFixed(2)}x, gregor/platformatic ${(g / p).toFixed(2)}x`);
}
