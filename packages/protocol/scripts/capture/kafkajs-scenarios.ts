// kafkajs 2.2.4 driven against the recording proxy: one scenario per invocation.
//   pnpm exec tsx --conditions=source kafkajs-scenarios.ts BROKER SCENARIO
// Scenarios: produce-none | produce-gzip | produce-snappy | produce-lz4 | produce-zstd | group
// kafkajs ships only gzip; snappy/lz4/zstd are registered here with this package's codecs, so in
// those fixtures kafkajs wrote the framing and batch, and our codec wrote the compressed bytes.
import { createRequire } from "node:module";
import { CompressionCodec, compress, decompress } from "../../src/compression/index.js";

const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require("kafkajs");

const [broker, scenario] = process.argv.slice(2) as [string, string];

for (const [type, codec] of [
  [CompressionTypes.Snappy, CompressionCodec.Snappy],
  [CompressionTypes.LZ4, CompressionCodec.Lz4],
  [CompressionTypes.ZSTD, CompressionCodec.Zstd],
] as const) {
  CompressionCodecs[type] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
    decompress: async (buf: Buffer) => decompress(codec, buf),
  });
}

const kafka = new Kafka({
  clientId: "golden-kafkajs",
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 },
});
const T0 = 1_700_000_000_000;
const messages = [
  { key: "k1", value: "value-one", timestamp: String(T0), headers: { trace: "abc" } },
  { key: null, value: "value-two", timestamp: String(T0 + 1) },
  { key: "k3", value: "value-three".repeat(20), timestamp: String(T0 + 2), headers: { a: "1", b: "2" } },
];

async function produce(compression: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: "t1", compression, acks: -1, messages });
  await producer.disconnect();
}

async function group(): Promise<void> {
  await produce(CompressionTypes.None);
  const consumer = kafka.consumer({ groupId: "golden-group", sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: "t1", fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no messages within 15 s")), 15_000);
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({
        topic,
        partition,
        message,
      }: {
        topic: string;
        partition: number;
        message: { offset: string };
      }) => {
        seen++;
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        if (seen >= messages.length) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
}

const codecs: Record<string, number> = {
  "produce-none": CompressionTypes.None,
  "produce-gzip": CompressionTypes.GZIP,
  "produce-snappy": CompressionTypes.Snappy,
  "produce-lz4": CompressionTypes.LZ4,
  "produce-zstd": CompressionTypes.ZSTD,
};
if (scenario === "group") await group();
else if (scenario in codecs) await produce(codecs[scenario]!);
else throw new Error(`unknown scenario ${scenario}`);
