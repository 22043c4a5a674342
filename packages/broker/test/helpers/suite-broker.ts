import { afterAll, beforeAll } from "vitest";
import { type Broker, type StartBrokerOptions, startBroker } from "../../src/index.js";
import { tempDir } from "./tmp.js";

/**
 * One broker for a test file's suite: started on a free port over a fresh temp data dir before the
 * first test (then handed to `started`), closed and its dir removed after the last.
 */
export function suiteBroker(
  options: Omit<StartBrokerOptions, "dataDir" | "port">,
  started: (broker: Broker) => void,
): void {
  const dir = tempDir();
  let broker: Broker | undefined;
  beforeAll(async () => {
    broker = await startBroker({ ...options, dataDir: dir.path, port: 0 });
    started(broker);
  });
  afterAll(async () => {
    await broker?.close();
    dir.remove();
  });
}
