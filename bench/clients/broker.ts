// Starts the Gregor broker in its own process for the client bench; prints its bootstrap address.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker } from "../../packages/broker/src/index.ts";

const dir = process.argv[2] === "memory" ? ":memory:" : mkdtempSync(join(tmpdir(), "gregor-bench-"));
const broker = await startBroker({ port: 0, dataDir: dir, config: { "num.partitions": 1 } });
console.log(broker.bootstrap);
const stop = async (): Promise<void> => {
  await broker.close();
  if (dir !== ":memory:") rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
