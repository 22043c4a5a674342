// Starts librdkafka's mock cluster (a Kafka-protocol server we did not write) for integration tests.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

// shared/ sits beside the checkout (in CI a copy of it sits beside the fresh clone).
const SOURCE =
  [join(import.meta.dirname, "../../../../shared/tools/mockbroker.c"), "/work/shared/tools/mockbroker.c"].find((p) =>
    existsSync(p),
  ) ?? "mockbroker.c";

export function mockBrokerBinary(): string {
  const dir = join(tmpdir(), "gregor-client-test");
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, "mockbroker");
  if (!existsSync(bin)) execFileSync("gcc", ["-O2", "-o", bin, SOURCE, "-lrdkafka"], { stdio: "inherit" });
  return bin;
}

export interface MockCluster {
  bootstrap: string;
  close(): Promise<void>;
}

export async function startMockCluster(
  args: { brokers?: number; topics?: string[]; partitions?: number } = {},
): Promise<MockCluster> {
  const argv = ["-B", String(args.brokers ?? 1), "-p", String(args.partitions ?? 1)];
  for (const t of args.topics ?? ["t1"]) argv.push("-t", t);
  const child: ChildProcess = spawn(mockBrokerBinary(), argv, { stdio: ["ignore", "pipe", "inherit"] });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (l) => resolve(l.trim()));
    child.once("exit", (code) => reject(new Error(`mockbroker exited with ${code}`)));
  });
  return {
    bootstrap,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
