// gregor produce (kafka-console-producer.sh): one record per stdin line, optionally `key<sep>value`
// (--property parse.key=true --property key.separator=:) and headers (parse.headers=true).
import { createInterface } from "node:readline";
import { Producer, type ProducerRecord, type RecordMetadata } from "@gregor/client";
import type { Command } from "commander";
import { type BootstrapOpts, type Tool, UsageError, intOption, need, pairsOption } from "../options.js";
import { producerProps, unescapeSeparator } from "./client-props.js";

interface ProduceOpts extends BootstrapOpts {
  topic?: string;
  property?: Map<string, string>;
  producerProperty?: Map<string, string>;
  compressionCodec?: string;
  requestRequiredAcks?: string;
  batchSize?: number;
  timeout?: number;
  partition?: number;
  sync?: boolean;
}

const LINE_READER_KEYS = [
  "parse.key",
  "key.separator",
  "parse.headers",
  "headers.delimiter",
  "headers.separator",
  "headers.key.separator",
  "null.marker",
  "ignore.error",
];

export const produceTool: Tool = {
  name: "produce",
  aliases: ["console-producer"],
  summary: "publish stdin lines (kafka-console-producer.sh)",
  description: "Reads lines from standard input and publishes each as a record (what kafka-console-producer.sh does).",
  examples: [
    "echo hello | gregor produce --bootstrap-server localhost:9092 --topic events",
    "gregor produce --bootstrap-server localhost:9092 --topic events --property parse.key=true --property key.separator=: < lines.txt",
  ],
  options: (cmd) =>
    cmd
      .option("--topic <topic>", "REQUIRED: the topic to produce to.")
      .addOption(
        pairsOption(
          "--property <key=value>",
          "Line reader properties: parse.key, key.separator (default \\t), parse.headers, headers.delimiter (\\t), headers.separator (,), headers.key.separator (:), null.marker, ignore.error.",
        ),
      )
      .addOption(
        pairsOption(
          "--producer-property <key=value>",
          "Producer properties: acks, linger.ms, batch.size, compression.type, enable.idempotence, ...",
        ),
      )
      .option("--compression-codec <codec>", "none, gzip, snappy, lz4 or zstd.")
      .option("--request-required-acks <acks>", "0, 1, -1 or all (default -1).")
      .addOption(intOption("--batch-size <n>", "Records per batch sent to the client at once (default 200)."))
      .addOption(intOption("--timeout <ms>", "linger.ms: how long to wait to fill a batch (default 5)."))
      .addOption(intOption("--partition <n>", "Send every record to this partition."))
      .option("--sync", "Wait for each record to be acknowledged before sending the next."),
  run: (cmd) => produceCommand(cmd),
};

async function produceCommand(cmd: Command, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const o = cmd.opts<ProduceOpts>();
  const topic = need(o.topic, "--topic <topic>");
  const props = o.property ?? new Map<string, string>();
  for (const k of props.keys())
    if (!LINE_READER_KEYS.includes(k))
      throw new UsageError(`unsupported --property '${k}'. Supported: ${LINE_READER_KEYS.join(", ")}`);
  const parseKey = props.get("parse.key") === "true";
  const keySep = unescapeSeparator(props.get("key.separator") ?? "\t");
  const parseHeaders = props.get("parse.headers") === "true";
  const headersDelim = unescapeSeparator(props.get("headers.delimiter") ?? "\t");
  const headersSep = unescapeSeparator(props.get("headers.separator") ?? ",");
  const headerKeySep = unescapeSeparator(props.get("headers.key.separator") ?? ":");
  const nullMarker = props.get("null.marker");
  const options: Record<string, unknown> = {
    bootstrapBrokers: o.bootstrapServer,
    clientId: "console-producer",
    lingerMs: o.timeout ?? 5,
    ...producerProps(o.producerProperty ?? new Map()),
  };
  if (o.compressionCodec !== undefined)
    Object.assign(options, producerProps(new Map([["compression.type", o.compressionCodec]])));
  if (o.requestRequiredAcks !== undefined)
    Object.assign(options, producerProps(new Map([["acks", o.requestRequiredAcks]])));
  const partition = o.partition;
  const chunk = o.batchSize ?? 200;
  const sync = o.sync === true;
  const producer = new Producer(options as ConstructorParameters<typeof Producer>[0]);
  let pending: ProducerRecord[] = [];
  const inflight = new Set<Promise<RecordMetadata[]>>();
  let failure: Error | null = null;
  const flushChunk = async (): Promise<void> => {
    if (pending.length === 0) return;
    const p = producer.send(topic, pending);
    pending = [];
    inflight.add(p);
    p.then(
      () => inflight.delete(p),
      (e: Error) => {
        inflight.delete(p);
        failure ??= e;
      },
    );
    if (sync || inflight.size >= 64) await p.catch(() => undefined);
  };
  try {
    const rl = createInterface({ input: stdin, crlfDelay: Infinity });
    for await (const raw of rl) {
      if (failure) break;
      let line = raw;
      const r: ProducerRecord = { value: null };
      if (parseHeaders) {
        const i = line.indexOf(headersDelim);
        if (i < 0)
          throw new UsageError(
            `no headers delimiter in line '${line}' (parse.headers=true expects headers${headersDelim}...)`,
          );
        const hs = line.slice(0, i);
        line = line.slice(i + headersDelim.length);
        if (hs !== "") {
          r.headers = hs.split(headersSep).map((h) => {
            const j = h.indexOf(headerKeySep);
            return j < 0 ? { key: h, value: null } : { key: h.slice(0, j), value: h.slice(j + headerKeySep.length) };
          });
        }
      }
      if (parseKey) {
        const i = line.indexOf(keySep);
        if (i < 0) throw new UsageError(`no key separator '${keySep}' in line '${line}' (parse.key=true)`);
        const k = line.slice(0, i);
        r.key = k === nullMarker ? null : k;
        line = line.slice(i + keySep.length);
      }
      r.value = line === nullMarker ? null : line;
      if (partition !== undefined) r.partition = partition;
      pending.push(r);
      if (pending.length >= chunk || sync) await flushChunk();
    }
    await flushChunk();
    await Promise.allSettled([...inflight]);
    if (failure) throw failure;
    return 0;
  } finally {
    await producer.close().catch(() => undefined);
  }
}
