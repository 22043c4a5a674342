// The bench's two topologies: a stateless map/filter and a count by key (with its repartition
// topic and changelog), plus the same map/filter written by hand with @gregor/client.
import { Consumer, Producer } from "@gregor/client";
import { Serdes, StreamsBuilder, type Topology } from "@gregor/streams";

const str = Serdes.string();

/** Keeps values whose last digit is even, upper-cased: half the input reaches the output. */
export function mapFilter(input: string, output: string): Topology {
  const b = new StreamsBuilder();
  b.stream(input, { key: str, value: str })
    .filter((_k, v) => (v.charCodeAt(v.length - 1) & 1) === 0)
    .mapValues((v) => v.toUpperCase())
    .to(output, { key: str, value: str });
  return b.build();
}

/** Counts values by their word (value before the first '-'): one output record per input. */
export function countByKey(input: string, output: string): Topology {
  const b = new StreamsBuilder();
  b.stream(input, { key: str, value: str })
    .groupBy((_k, v) => v.slice(0, v.indexOf("-")), { key: str, value: str })
    .count({ name: "counts" })
    .toStream()
    .to(output, { key: str, value: Serdes.int64() });
  return b.build();
}

/** The map/filter as a plain consume-transform-produce loop (at-least-once, manual commits). */
export async function handWritten(
  bootstrap: string,
  input: string,
  output: string,
  stopped: () => boolean,
): Promise<void> {
  const consumer = new Consumer({
    bootstrapBrokers: [bootstrap],
    groupId: `hand-${input}`,
    autoOffsetReset: "earliest",
    autoCommit: false,
    maxWaitMs: 50,
  });
  const producer = new Producer({ bootstrapBrokers: [bootstrap], acks: "all", lingerMs: 5 });
  consumer.subscribe([input]);
  let lastCommit = Date.now();
  const sends: Promise<unknown>[] = [];
  while (!stopped()) {
    const batch = await consumer.nextBatch({ timeoutMs: 50 });
    if (batch !== null) {
      const out = [];
      for (const m of batch.messages) {
        const v = m.value!.toString();
        if ((v.charCodeAt(v.length - 1) & 1) === 0) out.push({ key: m.key, value: v.toUpperCase() });
      }
      if (out.length > 0) sends.push(producer.send(output, out));
    }
    if (Date.now() - lastCommit >= 1000) {
      await Promise.all(sends.splice(0));
      await consumer.commit();
      lastCommit = Date.now();
    }
  }
  await Promise.all(sends);
  await producer.close();
  await consumer.close();
}
