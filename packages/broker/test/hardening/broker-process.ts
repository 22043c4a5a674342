// Broker processes for the hardening tests: apps/broker's main (what bin/kafka-server-start.sh
// runs) with --override flags, started until it logs that it listens.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { within } from "@gregor/testkit";

export const ROOT = join(__dirname, "..", "..", "..", "..");
export const MAIN = join(ROOT, "apps", "broker", "src", "main.ts");

export interface BrokerProcess {
  child: ChildProcess;
  log: () => string;
}

export function brokerArgs(overrides: Record<string, string | number>): string[] {
  return Object.entries(overrides).flatMap(([key, value]) => ["--override", `${key}=${value}`]);
}

export function nodeArgs(args: readonly string[]): string[] {
  return ["--conditions=source", "--import", "tsx", MAIN, ...args];
}

/** Starts a broker process and resolves once it listens; rejects (with its output) if it exits. */
export function startBrokerProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<BrokerProcess> {
  const child = spawn(process.execPath, nodeArgs(args), {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GREGOR_LOG_LEVEL: "info", ...env },
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const started = new Promise<BrokerProcess>((resolve, reject) => {
    child.stdout!.on("data", () => {
      if (out.includes('"msg":"Gregor broker listening on ')) resolve({ child, log: () => out });
    });
    child.on("exit", (code) => reject(new Error(`broker exited with ${code}:\n${out}`)));
  });
  return within(started, { what: "the broker process to listen", timeoutMs: 30_000 });
}

/** The child's exit code once it exits; a broker that does not stop fails the test. */
export function exited(child: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return within(exit, { what: `broker process ${child.pid} to exit`, timeoutMs });
}
