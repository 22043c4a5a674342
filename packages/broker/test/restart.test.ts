// The apps/broker process: start with --override flags, produce with acks=all and
// flush.messages=1, SIGKILL, restart on the same data dir, and read every acknowledged record back.
// Also: SIGTERM shuts down cleanly (exit code 0) and a bad config value stops start-up.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "./helpers/run.js";
import { freePort, tempDir, within } from "@gregor/testkit";

const ROOT = join(__dirname, "..", "..", "..");
const MAIN = join(ROOT, "apps", "broker", "src", "main.ts");

function startProcess(args: string[]): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GREGOR_LOG_LEVEL: "info" },
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`broker did not start:\n${out}`)), 20_000);
    const check = (): void => {
      if (out.includes('"msg":"Gregor broker listening on ')) {
        clearTimeout(t);
        resolve({ child, log: () => out });
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", () => {
      clearTimeout(t);
      reject(new Error(`broker exited:\n${out}`));
    });
  });
}

/** The child's exit code, once it exits (bounded: a broker that does not stop fails the test). */
function exited(child: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return within(exit, { what: `broker process ${child.pid} to exit`, timeoutMs });
}

describe("apps/broker process", () => {
  const dir = tempDir();
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  it("loses nothing acknowledged across SIGKILL with flush.messages=1", async () => {
    const port = await freePort();
    const args = [
      "--override",
      `log.dirs=${dir}`,
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      "--override",
      "log.flush.interval.messages=1",
      "--override",
      "num.partitions=2",
      "--override",
      "gregor.admin.port=0",
    ];
    const first = await startProcess(args);
    children.push(first.child);
    const lines = Array.from({ length: 500 }, (_, i) => `k${i}|v${i}`).join("\n") + "\n";
    const p = await run(
      "kcat",
      ["-b", `127.0.0.1:${port}`, "-P", "-t", "durable", "-K", "|", "-X", "acks=all", "-X", "linger.ms=1"],
      { input: lines },
    );
    expect(p.code, p.stderr).toBe(0); // kcat exits 0 only once every message was acknowledged
    first.child.kill("SIGKILL");
    await exited(first.child);

    const second = await startProcess(args);
    children.push(second.child);
    const c = await run("kcat", [
      "-b",
      `127.0.0.1:${port}`,
      "-C",
      "-t",
      "durable",
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%k=%s\n",
    ]);
    expect(c.code, c.stderr).toBe(0);
    const got = new Set(c.stdout.trim().split("\n"));
    expect(got.size).toBe(500);
    for (let i = 0; i < 500; i++) expect(got.has(`k${i}=v${i}`)).toBe(true);

    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
    expect(second.log()).toContain("broker stopped");
  });

  it("stops start-up on a bad config value, naming the key, the value and what is allowed", async () => {
    const r = await run(
      process.execPath,
      ["--conditions=source", "--import", "tsx", MAIN, "--override", "log.retention.ms=forever"],
      { timeoutMs: 20_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Invalid value "forever" for configuration log.retention.ms: an integer >= -1');
  });
});
