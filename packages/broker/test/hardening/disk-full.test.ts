// Issue 13, item 2, as a user meets it: a broker process on a 48 MiB tmpfs produced into until
// the disk is "full". With the free-space floor (gregor.storage.min.free.bytes, default 16 MiB)
// produces get KAFKA_STORAGE_ERROR while room is left; every acknowledged record stays readable,
// /metrics says why, SIGTERM still stops the broker (exit 0), a restart on the full disk serves
// everything, and once space is freed produces succeed again without a restart.
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { Consumer, Producer } from "@gregor/client";
import { canMount, fill, freePort, mountTmpfs, type Tmpfs, until } from "@gregor/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { type BrokerProcess, brokerArgs, exited, startBrokerProcess } from "./broker-process.js";

const MiB = 1024 * 1024;
const TOPIC = "full";
/** First number of the records produced once space returned. */
const RESUMED = 10_000_000;

async function produceUntilRefused(
  bootstrap: string,
  from: number,
  max: number,
): Promise<{ acked: number; error: Error | undefined }> {
  const producer = new Producer({ bootstrapBrokers: [bootstrap], acks: "all", deliveryTimeoutMs: 3000, lingerMs: 0 });
  const value = "x".repeat(1000);
  let acked = 0;
  try {
    for (let i = from; i < from + max; i += 50) {
      const records = Array.from({ length: 50 }, (_, j) => ({ key: String(i + j), value: `${i + j}:${value}` }));
      await producer.send(TOPIC, records);
      acked += records.length;
    }
    return { acked, error: undefined };
  } catch (e) {
    return { acked, error: e as Error };
  } finally {
    await producer.close().catch(() => undefined);
  }
}

/** Every record of the topic's partition 0, as the numbers the producer put in front of each value. */
async function readAll(bootstrap: string, expected: number): Promise<number[]> {
  const consumer = new Consumer({ bootstrapBrokers: [bootstrap], maxWaitMs: 50 });
  consumer.assign([{ topic: TOPIC, partition: 0, offset: 0n }]);
  const got: number[] = [];
  try {
    await until(
      async () => {
        const batch = await consumer.nextBatch({ timeoutMs: 500 });
        for (const m of batch?.messages ?? []) got.push(Number(m.value!.toString().split(":")[0]));
        return got.length >= expected;
      },
      { what: () => `${expected} records (${got.length} so far)`, timeoutMs: 30_000, intervalMs: 0 },
    );
  } finally {
    await consumer.close();
  }
  return got;
}

/**
 * Every acknowledged record, in order, no duplicates: the records read are 0, 1, 2, ... and at
 * least the `acked` ones. A few more may follow: the part of the failed send (50 records, maybe
 * several batches) that was written before the refusal, never reported as acknowledged.
 */
function expectAcknowledgedInOrder(got: number[], acked: number): void {
  expect(got.length).toBeGreaterThanOrEqual(acked);
  expect(got.length).toBeLessThan(acked + 50);
  expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
}

describe.skipIf(!canMount)("a full disk under a broker process (tmpfs)", () => {
  let tmpfs: Tmpfs | undefined;
  const started: BrokerProcess[] = [];
  afterAll(async () => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const { child } of started) await exited(child).catch(() => undefined);
    tmpfs?.unmount();
  });

  it("refuses produces before the disk is full, keeps serving and stopping, resumes when space returns", async () => {
    tmpfs = mountTmpfs(48 * MiB);
    const filler = join(tmpfs.dir, "filler");
    await fill(filler, 8 * MiB);
    const port = await freePort();
    const adminPort = await freePort();
    const args = brokerArgs({
      "log.dirs": join(tmpfs.dir, "data"),
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      "gregor.admin.port": adminPort,
      "num.partitions": 1,
      "log.segment.bytes": 4 * MiB,
    });
    const bootstrap = `127.0.0.1:${port}`;
    const first = await startBrokerProcess(args);
    started.push(first);

    const { acked, error } = await produceUntilRefused(bootstrap, 0, 1_000_000);
    expect(error?.message).toMatch(/KAFKA_STORAGE_ERROR/);
    expect(acked).toBeGreaterThan(5000);
    expect(first.log()).toContain("below gregor.storage.min.free.bytes=16777216");
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(metrics).toMatch(/gregor_log_dir_below_min_free\{dir="[^"]+"\} 1/);
    expect(metrics).toContain("gregor_log_offline_dirs 0");
    expectAcknowledgedInOrder(await readAll(bootstrap, acked), acked);

    first.child.kill("SIGTERM");
    expect(await exited(first.child, 20_000)).toBe(0);
    const second = await startBrokerProcess(args);
    started.push(second);
    expectAcknowledgedInOrder(await readAll(bootstrap, acked), acked);

    await unlink(filler);
    const resumed = await produceUntilRefused(bootstrap, RESUMED, 500);
    expect(resumed.error).toBeUndefined();
    const all = await readAll(bootstrap, acked + 500);
    const before = all.filter((n) => n < RESUMED);
    expectAcknowledgedInOrder(before, acked);
    expect(all.slice(before.length)).toEqual(Array.from({ length: 500 }, (_, i) => RESUMED + i));
    second.child.kill("SIGTERM");
    expect(await exited(second.child, 20_000)).toBe(0);
  });

  it("with the floor off, a real ENOSPC: the dir goes offline for writes, reads and SIGTERM still work", async () => {
    const disk = mountTmpfs(48 * MiB);
    // Freed before the restart: a disk filled to the last block has no room for the checkpoints
    // and quorum state a start-up writes (the floor exists to keep that room).
    const filler = join(disk.dir, "filler");
    await fill(filler, 2 * MiB);
    const port = await freePort();
    const adminPort = await freePort();
    const args = brokerArgs({
      "log.dirs": join(disk.dir, "data"),
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      "gregor.admin.port": adminPort,
      "num.partitions": 1,
      "gregor.storage.min.free.bytes": 0,
    });
    const bootstrap = `127.0.0.1:${port}`;
    try {
      const first = await startBrokerProcess(args);
      started.push(first);
      const { acked, error } = await produceUntilRefused(bootstrap, 0, 1_000_000);
      expect(error?.message).toMatch(/KAFKA_STORAGE_ERROR/);
      expect(first.log()).toContain("log dir offline");
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      expect(metrics).toContain("gregor_log_offline_dirs 1");
      expectAcknowledgedInOrder(await readAll(bootstrap, acked), acked);
      first.child.kill("SIGTERM");
      expect(await exited(first.child, 20_000), first.log().slice(first.log().indexOf("shutting down"))).toBe(0);
      await unlink(filler);
      const second = await startBrokerProcess(args);
      started.push(second);
      expectAcknowledgedInOrder(await readAll(bootstrap, acked), acked);
      second.child.kill("SIGTERM");
      expect(await exited(second.child, 20_000)).toBe(0);
    } finally {
      disk.unmount();
    }
  });
});
