// Issue 13, item 5: SIGTERM while producers run flat out (acks=all): the broker stops accepting,
// answers what is in flight, flushes and closes; it exits 0, and after a restart every record a
// producer saw acknowledged is read back, once, in each producer's order.
import { Consumer, Producer } from "@gregor/client";
import { freePort, tempDir, until } from "@gregor/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { type BrokerProcess, brokerArgs, exited, startBrokerProcess } from "./broker-process.js";

const TOPIC = "load";
const PRODUCERS = 4;

/** Sends `p:i` records in sends of 20 until a send fails; returns how many were acknowledged. */
async function produce(bootstrap: string, p: number, stopAt: { stop: boolean }): Promise<number> {
  const producer = new Producer({ bootstrapBrokers: [bootstrap], acks: "all", deliveryTimeoutMs: 2000, lingerMs: 1 });
  let acked = 0;
  try {
    while (!stopAt.stop) {
      await producer.send(
        TOPIC,
        Array.from({ length: 20 }, (_, j) => ({ key: `p${p}`, value: `${p}:${acked + j}` })),
      );
      acked += 20;
    }
  } catch {
    // The broker went away mid-send.
  } finally {
    await producer.close().catch(() => undefined);
  }
  return acked;
}

describe("SIGTERM under load", () => {
  const started: BrokerProcess[] = [];
  afterAll(async () => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  it("exits 0 and loses nothing acknowledged", async () => {
    const port = await freePort();
    const args = brokerArgs({
      "log.dirs": tempDir(),
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      "gregor.admin.port": -1,
      "num.partitions": 1,
    });
    const bootstrap = `127.0.0.1:${port}`;
    const first = await startBrokerProcess(args);
    started.push(first);
    const flag = { stop: false };
    const running = Array.from({ length: PRODUCERS }, (_, p) => produce(bootstrap, p, flag));
    await new Promise((r) => setTimeout(r, 2000));
    first.child.kill("SIGTERM");
    expect(await exited(first.child, 20_000), first.log().slice(-2000)).toBe(0);
    flag.stop = true;
    const acked = await Promise.all(running);
    expect(acked.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const second = await startBrokerProcess(args);
    started.push(second);
    const consumer = new Consumer({ bootstrapBrokers: [bootstrap], maxWaitMs: 50 });
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0n }]);
    const next = Array.from({ length: PRODUCERS }, () => 0);
    const seen = new Set<string>();
    try {
      await until(
        async () => {
          for (const m of (await consumer.nextBatch({ timeoutMs: 500 }))?.messages ?? []) {
            const value = m.value!.toString();
            expect(seen.has(value), `duplicate ${value}`).toBe(false);
            seen.add(value);
            const [p, i] = value.split(":").map(Number) as [number, number];
            // In each producer's order (a send cut off by the shutdown may be partly written).
            expect(i, `producer ${p}`).toBe(next[p]);
            next[p]! += 1;
          }
          return next.every((n, p) => n >= acked[p]!);
        },
        { what: () => `acknowledged ${acked.join("/")}, read ${next.join("/")}`, timeoutMs: 30_000, intervalMs: 0 },
      );
    } finally {
      await consumer.close();
    }
    second.child.kill("SIGTERM");
    expect(await exited(second.child, 20_000)).toBe(0);
  });
});
