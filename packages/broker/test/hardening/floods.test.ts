// Issue 13, item 4 (connection side): max.connections.per.ip (and its overrides) closes a new
// connection over the limit, max.connections makes it wait unread for a free slot, oversized
// frames close only their connection, a request dribbled in too slowly and an idle connection are
// closed — while every other client is served.
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { Producer } from "@gregor/client";
import { encodeRequestFrame } from "@gregor/protocol";
import { until } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../../src/index.js";

/** An ApiVersions v0 request frame (empty body). */
function apiVersionsFrame(correlationId: number): Buffer {
  const clientId = Buffer.from("hardening");
  const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt16BE(18, 4);
  frame.writeInt16BE(0, 6);
  frame.writeInt32BE(correlationId, 8);
  frame.writeInt16BE(clientId.length, 12);
  clientId.copy(frame, 14);
  return frame;
}

interface Client {
  socket: Socket;
  closed: Promise<unknown>;
  isClosed: () => boolean;
  /** Resolves with the correlation id of the next response frame. */
  ask: (correlationId: number) => Promise<number>;
}

async function client(broker: Broker): Promise<Client> {
  const socket = connect(broker.port, "127.0.0.1");
  let closed = false;
  const closedP = once(socket, "close").then(() => (closed = true));
  socket.on("error", () => undefined);
  await once(socket, "connect");
  let buffered = Buffer.alloc(0);
  let waiter: ((id: number) => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length >= 8 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const id = buffered.readInt32BE(4);
      buffered = buffered.subarray(4 + buffered.readInt32BE(0));
      waiter?.(id);
    }
  });
  return {
    socket,
    closed: closedP,
    isClosed: () => closed,
    ask: (correlationId) =>
      new Promise((resolve, reject) => {
        waiter = resolve;
        void closedP.then(() => reject(new Error(`connection closed before answering ${correlationId}`)));
        socket.write(apiVersionsFrame(correlationId));
      }),
  };
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the broker has closed its side of every connection (the limits count server-side). */
async function noConnections(broker: Broker): Promise<void> {
  await until(() => broker.services.metrics.activeConnections === 0, {
    what: () => `no connections (${broker.services.metrics.activeConnections} open)`,
  });
}

describe("connection limits and slow clients", () => {
  let broker: Broker;
  const clients: Client[] = [];
  beforeAll(async () => {
    broker = await startBroker({
      dataDir: ":memory:",
      port: 0,
      config: {
        "max.connections": 4,
        "max.connections.per.ip.overrides": "127.0.0.1:3",
        "socket.request.max.bytes": 64 * 1024,
        "gregor.socket.request.read.timeout.ms": 300,
        "connections.max.idle.ms": 1500,
      },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.socket.destroy();
    await broker?.close();
  });

  it("closes a connection over its address's limit; the others are served", async () => {
    const three = await Promise.all([client(broker), client(broker), client(broker)]);
    clients.push(...three);
    const fourth = await client(broker);
    clients.push(fourth);
    await fourth.closed;
    expect(await Promise.all(three.map((c, i) => c.ask(i + 1)))).toEqual([1, 2, 3]);
    for (const c of three) c.socket.destroy();
    await noConnections(broker);
  });

  it("closes a connection whose frame is over socket.request.max.bytes, from the size alone", async () => {
    const big = await client(broker);
    const other = await client(broker);
    clients.push(big, other);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(1_000_000_000, 0);
    big.socket.write(prefix);
    await big.closed;
    expect(await other.ask(7)).toBe(7);
    other.socket.destroy();
    await noConnections(broker);
  });

  it("closes a connection dribbling a request in, and an idle one; a busy one stays", async () => {
    const slow = await client(broker);
    const idle = await client(broker);
    const busy = await client(broker);
    clients.push(slow, idle, busy);
    slow.socket.write(apiVersionsFrame(1).subarray(0, 6)); // never finished
    const t0 = performance.now();
    await slow.closed;
    // The read timeout (300 ms) is checked by a 1 s sweep.
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(idle.isClosed()).toBe(false);
    for (let i = 0; i < 12; i++) {
      expect(await busy.ask(100 + i)).toBe(100 + i);
      await settle(250);
    }
    expect(idle.isClosed()).toBe(true);
    expect(busy.isClosed()).toBe(false);
    busy.socket.destroy();
    await noConnections(broker);
  });

  it("over max.connections a new connection waits, unread, for a free slot", async () => {
    const override = await startBroker({
      dataDir: ":memory:",
      port: 0,
      config: { "max.connections": 2 },
    });
    try {
      const x = await client(override);
      const y = await client(override);
      const z = await client(override);
      clients.push(x, y, z);
      expect(await x.ask(1)).toBe(1);
      expect(await y.ask(2)).toBe(2);
      const answered = z.ask(3);
      let done = false;
      void answered.then(() => (done = true));
      await settle(500);
      expect(done).toBe(false);
      x.socket.destroy();
      expect(await answered).toBe(3);
    } finally {
      await override.close();
    }
  });

  it("a client that never reads its responses: the broker stops computing them, others are served", async () => {
    const producer = new Producer({ bootstrapBrokers: [broker.bootstrap], acks: 1 });
    const value = "v".repeat(10_000);
    for (let i = 0; i < 10; i++)
      await producer.send(
        "big",
        Array.from({ length: 50 }, () => ({ value })),
      );
    await producer.close();
    const fetch = Buffer.concat(
      encodeRequestFrame(1, 4, 1, "never-reads", {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: "big", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      }),
    );
    const greedy = connect(broker.port, "127.0.0.1");
    greedy.on("error", () => undefined);
    await once(greedy, "connect");
    greedy.pause(); // never reads
    const before = broker.services.metrics.bytesOut;
    // 3,000 fetches of ~1 MiB each: 3 GB of responses if the broker computed them all.
    greedy.write(Buffer.concat(Array.from({ length: 3000 }, () => fetch)));
    await settle(3000);
    const written = broker.services.metrics.bytesOut - before;
    expect(written).toBeGreaterThan(1 << 20);
    expect(written).toBeLessThan(200 << 20);
    const other = await client(broker);
    clients.push(other);
    expect(await other.ask(9)).toBe(9);
    greedy.destroy();
    other.socket.destroy();
    await noConnections(broker);
  });
});
