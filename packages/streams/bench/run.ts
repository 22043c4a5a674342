// Streams throughput bench (issue 21): records/s end to end (produce N records, wait until the
// output topic holds every result) through a stateless map/filter and a count-by-key topology,
// with 1 and 3 instances (each an OS process), against the same map/filter written by hand with
// @gregor/client; then the restore rate of the count's changelog on a fresh instance.
// Run: pnpm exec tsx --conditions=source packages/streams/bench/run.ts [records=200000]
// The broker runs in its own process with in-memory logs. Results go to stdout as a Markdown table.
import { type ChildProcess, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Admin, LATEST_TIMESTAMP, Producer, listOffsets } from "@gregor/client";

const records = Number(process.argv[2] ?? 200_000);
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const children = new Set<ChildProcess>();

function start(script: string, env: Record<string, string>, onLine: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", here(script)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  let rest = "";
  child.stdout!.on("data", (d: Buffer) => {
    const lines = (rest + d.toString()).split("\n");
    rest = lines.pop()!;
    for (const l of lines) onLine(l);
  });
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

const bootstrap = await new Promise<string>((resolve) => {
  start("./broker.ts", {}, (line) => {
    if (line.startsWith("BOOTSTRAP ")) resolve(line.slice(10));
  });
});
const admin = new Admin({ bootstrapBrokers: [bootstrap] });

async function produce(topic: string): Promise<void> {
  const producer = new Producer({ bootstrapBrokers: [bootstrap], lingerMs: 5, batchSize: 262_144 });
  for (let at = 0; at < records; at += 10_000) {
    const chunk = Array.from({ length: Math.min(10_000, records - at) }, (_, j) => {
      const i = at + j;
      return { key: `k${i}`, value: `w${i % 1000}-${i}` };
    });
    await producer.send(topic, chunk);
  }
  await producer.close();
}

async function outputCount(topic: string): Promise<number> {
  const answers = await listOffsets(
    admin.cluster,
    [0, 1, 2].map((partition) => ({ topic, partition, timestamp: LATEST_TIMESTAMP })),
  );
  return answers.reduce((n, a) => n + Number(a.offset), 0);
}

interface Run {
  name: string;
  topology: "hand" | "map-filter" | "count";
  instances: number;
  expected: number;
}

async function scenario(run: Run, appId: string): Promise<number> {
  const input = `in-${appId}`;
  const output = `out-${appId}`;
  await admin.createTopics([input, output].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })));
  let running = 0;
  const apps = Array.from({ length: run.instances }, () =>
    start(
      "./app.ts",
      { BOOTSTRAP: bootstrap, TOPOLOGY: run.topology, APP_ID: appId, INPUT: input, OUTPUT: output },
      (l) => {
        if (l === "STATE RUNNING") running++;
      },
    ),
  );
  while (running < run.instances) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, run.topology === "hand" ? 2000 : 500)); // group settles
  const started = performance.now();
  await produce(input);
  while ((await outputCount(output)) < run.expected) await new Promise((r) => setTimeout(r, 50));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(apps.map(stop));
  return records / seconds;
}

const runs: Run[] = [
  {
    name: "hand-written consume/transform/produce (map/filter)",
    topology: "hand",
    instances: 1,
    expected: records / 2,
  },
  { name: "streams map/filter, 1 instance", topology: "map-filter", instances: 1, expected: records / 2 },
  { name: "streams map/filter, 3 instances", topology: "map-filter", instances: 3, expected: records / 2 },
  { name: "streams count by key, 1 instance", topology: "count", instances: 1, expected: records },
  { name: "streams count by key, 3 instances", topology: "count", instances: 3, expected: records },
];
const rows: string[] = [];
const loadAtStart = loadavg()[0]!.toFixed(2);
try {
  for (const [i, run] of runs.entries()) {
    const rate = await scenario(run, `bench-${i}-${Date.now().toString(36)}`);
    rows.push(`| ${run.name} | ${records} | ${Math.round(rate).toLocaleString("en-US")} |`);
    console.error(rows.at(-1));
  }
  // Restore: a fresh instance of the 1-instance count application replays its changelog.
  const restored = await new Promise<{ restoredRecords: number; restoreMs: number }>((resolve) => {
    const appId = `bench-restore-${Date.now().toString(36)}`;
    void (async () => {
      await scenario({ name: "", topology: "count", instances: 1, expected: records }, appId);
      const child = start(
        "./app.ts",
        { BOOTSTRAP: bootstrap, TOPOLOGY: "count", APP_ID: appId, INPUT: `in-${appId}`, OUTPUT: `out-${appId}` },
        (l) => {
          if (l.startsWith("RESTORED ")) {
            resolve(JSON.parse(l.slice(9)));
            void stop(child);
          }
        },
      );
    })();
  });
  const restoreRate = restored.restoredRecords / (restored.restoreMs / 1000);
  rows.push(
    `| restore of the count's changelog on a fresh instance (${restored.restoredRecords} records, ${restored.restoreMs} ms) | ${restored.restoredRecords} | ${Math.round(restoreRate).toLocaleString("en-US")} |`,
  );
  console.log(
    [
      `# ${new Date().toISOString()}, Node ${process.version}, 1-minute load average ${loadAtStart} -> ${loadavg()[0]!.toFixed(2)}`,
      "| scenario | records | records/s |",
      "|---|---:|---:|",
      ...rows,
    ].join("\n"),
  );
} finally {
  await admin.close();
  for (const c of children) c.kill("SIGTERM");
}
