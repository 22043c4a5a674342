// Runs shared/tools/kperf (librdkafka load generator, built into bench/bin by the bench scripts) and
// returns its RESULT line as an object.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "bin");

export function kperf(argv, timeoutMs = 120_000) {
  const out = execFileSync(join(BIN, "kperf"), argv, {
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const line = out
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`kperf ${argv[0]}: no RESULT line`);
  return JSON.parse(line.slice(7));
}
