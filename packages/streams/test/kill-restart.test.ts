// The word count example as three OS processes against a real broker: one instance is killed -9
// mid-run and restarted. With at_least_once no count may come out below the exact one (records
// processed after the last commit are processed again, so some may come out above it).
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Admin, Consumer, Producer } from "@gregor/client";
import { type Broker, startBroker } from "@gregor/broker";
import { Prng, suiteBroker, until } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let broker: Broker;
let admin: Admin;
suiteBroker(
  startBroker,
  { config: { "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 1000 } },
  (started) => (broker = started),
);
beforeAll(() => {
  admin = new Admin({ bootstrapBrokers: [broker.bootstrap] });
});
const children = new Set<ChildProcess>();
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await admin.close();
});

const example = fileURLToPath(new URL("../examples/word-count.ts", import.meta.url));

function instance(name: string): { child: ChildProcess; output: string[] } {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", example], {
    env: {
      ...process.env,
      BOOTSTRAP: broker.bootstrap,
      APPLICATION_ID: "wc-kill",
      INPUT: "kill-in",
      OUTPUT: "kill-out",
      COMMIT_INTERVAL_MS: "200",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  const output: string[] = [];
  child.stdout!.on("data", (d: Buffer) => output.push(`${name}: ${d}`));
  child.stderr!.on("data", (d: Buffer) => output.push(`${name} (stderr): ${d}`));
  return { child, output };
}

describe("word count processes, one killed -9 and restarted", () => {
  it("at_least_once: every final count >= the exact count", async () => {
    const seed = Number(process.env["SEED"] ?? Date.now() % 100_000);
    // KILL_TEST_LINES=100000 gives the 1M-word run (10 words a line); the default keeps CI short.
    const chunk = Math.ceil(Number(process.env["KILL_TEST_LINES"] ?? 15_000) / 15);
    const prng = new Prng(seed);
    await admin.createTopics([
      { topic: "kill-in", numPartitions: 3, replicationFactor: 1 },
      { topic: "kill-out", numPartitions: 3, replicationFactor: 1 },
    ]);
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`);
    const expected = new Map<string, number>();
    const producer = new Producer({ bootstrapBrokers: [broker.bootstrap], lingerMs: 5 });
    const produce = async (lines: number) => {
      const records = Array.from({ length: lines }, () => {
        const line = Array.from({ length: 10 }, () => words[Math.floor(prng.next() * words.length)]!);
        for (const w of line) expected.set(w, (expected.get(w) ?? 0) + 1);
        return { value: line.join(" ") };
      });
      await producer.send("kill-in", records);
    };
    const out = new Map<string, number>();
    const reader = new Consumer({ bootstrapBrokers: [broker.bootstrap], maxWaitMs: 50 });
    reader.assign([0, 1, 2].map((partition) => ({ topic: "kill-out", partition, offset: "earliest" as const })));
    const readSome = async () => {
      for (const m of (await reader.nextBatch({ timeoutMs: 100 }))?.messages ?? [])
        out.set(m.key!.toString(), Number(m.value!.readBigInt64BE()));
    };
    const instances = [instance("a"), instance("b"), instance("c")];
    const logs = () => instances.flatMap((i) => i.output).join("");
    try {
      await until(() => instances.every((i) => i.output.some((l) => l.includes("-> RUNNING"))), {
        what: () => `three instances running (seed ${seed})\n${logs()}`,
        timeoutMs: 60_000,
      });
      for (let i = 0; i < 5; i++) await produce(chunk);
      await until(
        async () => {
          await readSome();
          return out.size > 0;
        },
        { what: () => `first counts (seed ${seed})`, timeoutMs: 30_000, intervalMs: 0 },
      );
      instances[1]!.child.kill("SIGKILL");
      for (let i = 0; i < 5; i++) await produce(chunk);
      instances[1] = instance("b2");
      for (let i = 0; i < 5; i++) await produce(chunk);
      await until(
        async () => {
          await readSome();
          return [...expected].every(([w, n]) => (out.get(w) ?? 0) >= n);
        },
        {
          what: () =>
            `counts >= exact (seed ${seed}); short: ${JSON.stringify(
              [...expected]
                .filter(([w, n]) => (out.get(w) ?? 0) < n)
                .slice(0, 5)
                .map(([w, n]) => [w, out.get(w), n]),
            )}\n${logs()}`,
          timeoutMs: 90_000 + chunk * 15 * 2, // ~2 ms a line on top for big runs
          intervalMs: 0,
        },
      );
      const over = [...expected].reduce((sum, [w, n]) => sum + (out.get(w)! - n), 0);
      console.log(`seed ${seed}: ${chunk * 15 * 10} words, ${over} counted twice after the kill`);
      for (const [w, n] of expected) expect(out.get(w)!).toBeGreaterThanOrEqual(n);
    } finally {
      await producer.close();
      await reader.close();
      for (const i of instances) i.child.kill("SIGTERM");
    }
  }, 900_000);
});
