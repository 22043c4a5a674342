import { afterAll, beforeAll } from "vitest";
import { tempDir } from "./temp-dir.js";

/** What suiteBroker needs of a broker: a way to stop it. */
export interface ClosableBroker {
  close(): Promise<void>;
}

/** The options suiteBroker fills in: a fresh data dir and port 0 (the OS picks a free one). */
export interface SuiteBrokerSlots {
  dataDir: string;
  port: number;
}

/**
 * One broker for a test file's suite: started before the first test on a free port over a fresh
 * temp data dir (then handed to `started`), closed after the last, its dir removed.
 *
 * `start` is `startBroker` from `@gregor/broker`, passed in rather than imported: the broker's own
 * tests use this kit, so the kit must not depend on the broker (that would be a package cycle).
 */
export function suiteBroker<Options extends SuiteBrokerSlots, B extends ClosableBroker>(
  start: (options: Options) => Promise<B>,
  options: Omit<Options, keyof SuiteBrokerSlots>,
  started: (broker: B) => void,
): void {
  const dataDir = tempDir("gregor-broker-");
  let broker: B | undefined;
  beforeAll(async () => {
    broker = await start({ ...options, dataDir, port: 0 } as Options);
    started(broker);
  });
  afterAll(async () => {
    await broker?.close();
  });
}
