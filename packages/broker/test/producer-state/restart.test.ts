// Issue 16 item 1, the restart proof on a real broker process (bin/kafka-server-start.sh through
// startCluster): after SIGTERM and after SIGKILL, a retried batch is answered as a duplicate with
// its original offset (and not appended again), a gap gives OUT_OF_ORDER_SEQUENCE_NUMBER, a stale
// epoch INVALID_PRODUCER_EPOCH, and producer ids are not handed out again.
import type { Connection } from "@gregor/client";
import { until } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startCluster } from "../../src/index.js";
import { TEST_TIMEOUTS } from "../cluster/harness.js";
import { createTopicOn } from "../cluster-process/helpers.js";
import { connectToLeader, initProducerId, logEndOffset, produce } from "./idempotent-wire.js";

const TOPIC = "idem-restart";
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const INVALID_PRODUCER_EPOCH = 47;

let cluster: LocalCluster;
const open: Connection[] = [];

beforeAll(async () => {
  // bin/kafka-server-start.sh runs apps/broker/dist; its @gregor/* imports resolve to the sources
  // under test (the "source" export condition, TypeScript through tsx) instead of a stale build.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --conditions=source --import tsx`.trim();
  // Small segments: the log rolls (and snapshots) while the test writes.
  cluster = await startCluster({ nodes: 1, mode: "process", config: { ...TEST_TIMEOUTS, "log.segment.bytes": 1024 } });
  const created = await createTopicOn(cluster.node(1), TOPIC, 1, 1);
  expect(created.errorCode).toBe(0);
}, 90_000);
afterAll(async () => {
  for (const c of open) c.close();
  await cluster?.close();
});

async function leader(): Promise<Connection> {
  const c = await connectToLeader(cluster.node(1), TOPIC, 0);
  open.push(c);
  return c;
}

describe("idempotent producer state across broker restarts", () => {
  it("deduplicates retries, refuses gaps and stale epochs after SIGTERM and after SIGKILL", async () => {
    let c = await leader();
    const { producerId } = await initProducerId(c);
    const batch = (baseSequence: number, count = 5, epoch = 0) => ({ producerId, epoch, baseSequence, count });
    const offsets: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await produce(c, TOPIC, 0, batch(i * 5));
      expect(r.errorCode).toBe(0);
      offsets.push(r.baseOffset);
    }
    expect(await logEndOffset(c, TOPIC, 0)).toBe(200);

    await cluster.node(1).restart(); // SIGTERM: clean shutdown, snapshot at the log end
    c = await leader();
    for (let i = 35; i < 40; i++)
      expect(await produce(c, TOPIC, 0, batch(i * 5))).toEqual({ errorCode: 0, baseOffset: offsets[i] });
    expect((await produce(c, TOPIC, 0, batch(205))).errorCode).toBe(OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await logEndOffset(c, TOPIC, 0)).toBe(200);
    for (let i = 40; i < 45; i++) {
      const r = await produce(c, TOPIC, 0, batch(i * 5));
      expect(r.errorCode).toBe(0);
      offsets.push(r.baseOffset);
    }
    // A bumped epoch starts again at sequence 0 (KIP-360's bump by the client).
    const bumped = await produce(c, TOPIC, 0, batch(0, 3, 1));
    expect(bumped.errorCode).toBe(0);

    await cluster.node(1).kill(); // SIGKILL: no snapshot at the end, the tail is rescanned
    await cluster.node(1).restart();
    c = await leader();
    expect(await produce(c, TOPIC, 0, batch(0, 3, 1))).toEqual({ errorCode: 0, baseOffset: bumped.baseOffset });
    expect((await produce(c, TOPIC, 0, batch(225, 5, 0))).errorCode).toBe(INVALID_PRODUCER_EPOCH);
    expect((await produce(c, TOPIC, 0, batch(4, 1, 1))).errorCode).toBe(OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await logEndOffset(c, TOPIC, 0)).toBe(bumped.baseOffset + 3);
    expect((await produce(c, TOPIC, 0, batch(3, 2, 1))).errorCode).toBe(0);
  }, 120_000);

  it("never hands out a producer id again after a restart", async () => {
    const c1 = await leader();
    const before = await initProducerId(c1);
    await cluster.node(1).kill();
    await cluster.node(1).restart();
    const c2 = await leader();
    const after = await until(() => initProducerId(c2).catch(() => undefined), {
      what: "InitProducerId after restart",
    });
    expect(after.producerId).toBeGreaterThan(before.producerId);
  }, 90_000);
});
