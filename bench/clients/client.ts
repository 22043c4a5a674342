// One client measurement in its own process: `client.ts <lib> <produce|consume|latency> <bootstrap> <topic> <n>`.
// Prints `RESULT {json}`. Libraries: gregor (@gregor/client), kafkajs 2.2.4, platformatic (@platformatic/kafka).
import * as hdr from "hdr-histogram-js";
import { Consumer, Producer } from "../../packages/client/src/index.ts";

// @platformatic/kafka 2.x targets Node 22 (Promise.withResolvers); this machine runs Node 20, so the
// standard function is polyfilled here (same semantics), for that library's sake only.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

const [lib, mode, bootstrap, topic, nArg] = process.argv.slice(2) as [string, string, string, string, string];
const N = Number(nArg);
const SIZE = 100;
const payload = Buffer.alloc(SIZE, 0x61);
const CHUNK = 1000;

function out(r: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify({ lib, mode, ...r })}`);
}

async function gregorProduce(): Promise<void> {
  const p = new Producer({
    bootstrapBrokers: [bootstrap],
    acks: 1,
    lingerMs: 5,
    batchSize: 1_048_576,
    maxInFlightRequestsPerConnection: 5,
  });
  await p.send(topic, { value: payload });
  const chunk = Array.from({ length: CHUNK }, () => ({ value: payload }));
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let sent = 1; sent < N; sent += CHUNK) {
    inflight.push(p.send(topic, sent + CHUNK <= N ? chunk : chunk.slice(0, N - sent)));
    if (inflight.length >= 200) await inflight.shift();
  }
  await Promise.all(inflight);
  const s = (performance.now() - t0) / 1000;
  await p.close();
  out({ records: N, seconds: s, recordsPerSec: Math.round((N - 1) / s) });
}

async function gregorConsume(): Promise<void> {
  const c = new Consumer({ bootstrapBrokers: [bootstrap], maxPartitionBytes: 8 << 20, maxBytes: 64 << 20 });
  c.assign([{ topic, partition: 0, offset: "earliest" }]);
  let n = 0;
  let bytes = 0;
  let t0 = 0;
  for await (const b of c) {
    if (t0 === 0) t0 = performance.now();
    for (const m of b.messages) bytes += m.value!.length;
    n += b.messages.length;
    if (n >= N) break;
  }
  const s = (performance.now() - t0) / 1000;
  await c.close();
  out({ records: n, bytes, seconds: s, recordsPerSec: Math.round(n / s), note: "timed from the first batch" });
}

async function gregorLatency(): Promise<void> {
  const p = new Producer({ bootstrapBrokers: [bootstrap], acks: 1, lingerMs: 0 });
  await p.send(topic, { value: payload });
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const rate = 5000;
  const total = Math.min(N, rate * 5);
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const s = performance.now();
    pending.push(
      p
        .send(topic, { value: payload })
        .then(() => hist.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)))),
    );
  }
  await Promise.all(pending);
  await p.close();
  out({
    sends: total,
    ratePerSec: rate,
    p50Ms: hist.getValueAtPercentile(50) / 1000,
    p99Ms: hist.getValueAtPercentile(99) / 1000,
  });
}

async function kafkajsProduce(): Promise<void> {
  const { Kafka, logLevel } = await import("kafkajs");
  const kafka = new Kafka({ brokers: [bootstrap], clientId: "bench", logLevel: logLevel.NOTHING });
  const p = kafka.producer({ allowAutoTopicCreation: true });
  await p.connect();
  const messages = Array.from({ length: CHUNK }, () => ({ value: payload }));
  await p.send({ topic, acks: 1, messages: [{ value: payload }] });
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let sent = 1; sent < N; sent += CHUNK) {
    inflight.push(p.send({ topic, acks: 1, messages: sent + CHUNK <= N ? messages : messages.slice(0, N - sent) }));
    if (inflight.length >= 20) await inflight.shift();
  }
  await Promise.all(inflight);
  const s = (performance.now() - t0) / 1000;
  await p.disconnect();
  out({ records: N, seconds: s, recordsPerSec: Math.round((N - 1) / s) });
}

async function kafkajsConsume(): Promise<void> {
  const { Kafka, logLevel } = await import("kafkajs");
  const kafka = new Kafka({ brokers: [bootstrap], clientId: "bench", logLevel: logLevel.NOTHING });
  const c = kafka.consumer({ groupId: `bench-${Date.now()}`, maxBytesPerPartition: 8 << 20, maxBytes: 64 << 20 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let n = 0;
  let bytes = 0;
  let t0 = 0;
  await new Promise<void>((resolve) => {
    void c.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (t0 === 0) t0 = performance.now();
        for (const m of batch.messages) bytes += m.value!.length;
        n += batch.messages.length;
        if (n >= N) resolve();
      },
    });
  });
  const s = (performance.now() - t0) / 1000;
  await c.disconnect();
  out({
    records: n,
    bytes,
    seconds: s,
    recordsPerSec: Math.round(n / s),
    note: "timed from the first batch (group join excluded)",
  });
}

async function platformaticProduce(): Promise<void> {
  const { Producer: PProducer, ProduceAcks } = await import("@platformatic/kafka");
  const p = new PProducer({
    clientId: "bench",
    bootstrapBrokers: [bootstrap],
    acks: ProduceAcks.LEADER,
    autocreateTopics: true,
  } as never) as unknown as {
    send(o: { messages: { topic: string; value: Buffer }[] }): Promise<unknown>;
    close(): Promise<void>;
  };
  const messages = Array.from({ length: CHUNK }, () => ({ topic, value: payload }));
  await p.send({ messages: [{ topic, value: payload }] });
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let sent = 1; sent < N; sent += CHUNK) {
    inflight.push(p.send({ messages: sent + CHUNK <= N ? messages : messages.slice(0, N - sent) }));
    if (inflight.length >= 20) await inflight.shift();
  }
  await Promise.all(inflight);
  const s = (performance.now() - t0) / 1000;
  await p.close();
  out({ records: N, seconds: s, recordsPerSec: Math.round((N - 1) / s) });
}

async function platformaticConsume(): Promise<void> {
  const { Consumer: PConsumer, MessagesStreamModes } = await import("@platformatic/kafka");
  const c = new PConsumer({
    clientId: "bench",
    bootstrapBrokers: [bootstrap],
    groupId: `bench-${Date.now()}`,
    maxBytes: 64 << 20,
  } as never) as unknown as {
    consume(o: Record<string, unknown>): Promise<AsyncIterable<unknown> & { close(): Promise<void> }>;
    close(force?: boolean): Promise<void>;
  };
  const stream = await c.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
    maxWaitTime: 500,
  });
  let n = 0;
  let bytes = 0;
  let t0 = 0;
  for await (const m of stream) {
    if (t0 === 0) t0 = performance.now();
    bytes += (m as { value: Buffer }).value.length;
    if (++n >= N) break;
  }
  const s = (performance.now() - t0) / 1000;
  await stream.close().catch(() => undefined);
  await c.close(true).catch(() => undefined);
  out({
    records: n,
    bytes,
    seconds: s,
    recordsPerSec: Math.round(n / s),
    note: "timed from the first record (group join excluded)",
  });
}

const table: Record<string, () => Promise<void>> = {
  "gregor:produce": gregorProduce,
  "gregor:consume": gregorConsume,
  "gregor:latency": gregorLatency,
  "kafkajs:produce": kafkajsProduce,
  "kafkajs:consume": kafkajsConsume,
  "platformatic:produce": platformaticProduce,
  "platformatic:consume": platformaticConsume,
};
const fn = table[`${lib}:${mode}`];
if (!fn) throw new Error(`unknown ${lib}:${mode}`);
await fn();
process.exit(0);
