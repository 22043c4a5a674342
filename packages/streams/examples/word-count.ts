// Word count, Kafka's WordCountDemo: lines from `streams-plaintext-input`, counts per word to
// `streams-wordcount-output` (key: word, value: 8-byte count). Against `pnpm start`:
//   pnpm exec tsx --conditions=source packages/streams/examples/word-count.ts
//   bin/kafka-console-producer.sh --topic streams-plaintext-input --bootstrap-server localhost:9092
//   kcat -C -b localhost:9092 -t streams-wordcount-output -s value=Q -f '%k %s\n'
// Run it several times for several instances: tasks spread over them, and move when one stops.
// Environment: BOOTSTRAP (localhost:9092), APPLICATION_ID (streams-wordcount), INPUT, OUTPUT,
// COMMIT_INTERVAL_MS (1000), PARTITIONS (3, for the topics it creates when missing).
import { Admin } from "@gregor/client";
import { KafkaStreams, Serdes, StreamsBuilder } from "@gregor/streams";

const env = process.env;
const bootstrap = env["BOOTSTRAP"] ?? "localhost:9092";
const input = env["INPUT"] ?? "streams-plaintext-input";
const output = env["OUTPUT"] ?? "streams-wordcount-output";
const partitions = Number(env["PARTITIONS"] ?? 3);

const admin = new Admin({ bootstrapBrokers: [bootstrap] });
const existing = new Set(await admin.listTopics());
for (const topic of [input, output])
  if (!existing.has(topic))
    await admin.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]).catch(() => {});
await admin.close();

const builder = new StreamsBuilder();
builder
  .stream(input, { key: Serdes.string(), value: Serdes.string() })
  .flatMapValues((line) =>
    line
      .toLowerCase()
      .split(/\W+/)
      .filter((w) => w.length > 0),
  )
  .groupBy((_key, word) => word, { key: Serdes.string(), value: Serdes.string() })
  .count({ name: "counts" })
  .toStream()
  .to(output, { key: Serdes.string(), value: Serdes.int64() });

const streams = new KafkaStreams(builder.build(), {
  applicationId: env["APPLICATION_ID"] ?? "streams-wordcount",
  bootstrapServers: [bootstrap],
  commitIntervalMs: Number(env["COMMIT_INTERVAL_MS"] ?? 1000),
  consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
});
streams.onStateChange((next, previous) => {
  console.log(`state ${previous} -> ${next}`);
  if (next === "ERROR") {
    console.error(`word count failed: ${streams.error?.message}`);
    process.exit(1);
  }
});
await streams.start();
console.log(`word count running: ${input} -> ${output} (Ctrl-C stops)`);

const stop = async () => {
  await streams.close();
  console.log(`stopped; ${JSON.stringify(streams.stats())}`);
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
