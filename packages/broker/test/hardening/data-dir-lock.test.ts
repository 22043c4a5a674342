// Issue 13, item 1: a second broker process on a running broker's log.dirs (or metadata.log.dir)
// fails at start-up naming the directory and the holder's pid, and touches nothing; the lock of a
// SIGKILLed broker does not block its restart; a clean stop leaves no lock behind.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { freePort, tempDir } from "@gregor/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../helpers/run.js";
import { type BrokerProcess, brokerArgs, exited, nodeArgs, startBrokerProcess } from "./broker-process.js";

describe("exclusive data dirs (broker processes)", () => {
  const started: BrokerProcess[] = [];
  afterAll(() => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  it("refuses a second broker on the same dirs; a killed broker's lock does not block its restart", async () => {
    const dataDir = tempDir();
    const metaDir = tempDir();
    const port = await freePort();
    const config = {
      "log.dirs": dataDir,
      "metadata.log.dir": metaDir,
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      "gregor.admin.port": 0,
    };
    const first = await startBrokerProcess(brokerArgs(config));
    started.push(first);
    const pid = first.child.pid!;

    // Same log.dirs, own metadata dir and port.
    const sameLogDir = await run(
      process.execPath,
      nodeArgs(
        brokerArgs({
          ...config,
          "metadata.log.dir": tempDir(),
          listeners: `PLAINTEXT://127.0.0.1:${await freePort()}`,
        }),
      ),
      { timeoutMs: 30_000 },
    );
    expect(sameLogDir.code).not.toBe(0);
    expect(sameLogDir.stderr).toContain(`Data directory ${dataDir} is in use by another process (pid ${pid}`);
    // Same metadata dir only.
    const sameMetaDir = await run(
      process.execPath,
      nodeArgs(
        brokerArgs({ ...config, "log.dirs": tempDir(), listeners: `PLAINTEXT://127.0.0.1:${await freePort()}` }),
      ),
      { timeoutMs: 30_000 },
    );
    expect(sameMetaDir.code).not.toBe(0);
    expect(sameMetaDir.stderr).toContain(`Data directory ${metaDir} is in use by another process (pid ${pid}`);

    first.child.kill("SIGKILL");
    await exited(first.child);
    const second = await startBrokerProcess(brokerArgs(config));
    started.push(second);
    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
    for (const dir of [dataDir, metaDir]) await expect(stat(join(dir, ".lock"))).rejects.toThrow(/ENOENT/);
  });
});
