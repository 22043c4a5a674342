// gregor produce (kafka-console-producer.sh): one record per stdin line, optionally `key<sep>value`
// (--property parse.key=true --property key.separator=:) and headers (parse.headers=true).
import { createInterface } from "node:readline";
import { Producer, type ProducerRecord, type RecordMetadata } from "@gregor/client";
import { BOOTSTRAP, HELP, UsageError, bootstrapOf, parseArgs, usage, type FlagSpec } from "../args.js";
import type { Io } from "../io.js";
import { producerProps } from "./client-props.js";

const SPECS: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--topic", arg: "<topic>", desc: "REQUIRED: the topic to produce to." },
  {
    flag: "--property",
    arg: "<key=value>",
    desc: "Line reader properties: parse.key, key.separator (default \\t), parse.headers, headers.delimiter (\\t), headers.separator (,), headers.key.separator (:), null.marker, ignore.error.",
    repeatable: true,
  },
  {
    flag: "--producer-property",
    arg: "<key=value>",
    desc: "Producer properties: acks, linger.ms, batch.size, compression.type, enable.idempotence, ...",
    repeatable: true,
  },
  { flag: "--compression-codec", arg: "<codec>", desc: "none, gzip, snappy, lz4 or zstd." },
  { flag: "--request-required-acks", arg: "<acks>", desc: "0, 1, -1 or all (default -1)." },
  { flag: "--batch-size", arg: "<n>", desc: "Records per batch sent to the client at once (default 200)." },
  { flag: "--timeout", arg: "<ms>", desc: "linger.ms: how long to wait to fill a batch (default 5)." },
  { flag: "--partition", arg: "<n>", desc: "Send every record to this partition." },
  { flag: "--sync", desc: "Wait for each record to be acknowledged before sending the next." },
  HELP,
];

function unescapeSeparator(s: string): string {
  return s.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
}

export async function produceCommand(
  argv: readonly string[],
  io: Io,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const a = parseArgs("produce", SPECS, argv);
  if (a.has("--help")) {
    io.out(
      usage(
        "produce",
        "Reads lines from standard input and publishes each as a record (what kafka-console-producer.sh does).",
        SPECS,
        [
          "echo hello | gregor produce --bootstrap-server localhost:9092 --topic events",
          "gregor produce --bootstrap-server localhost:9092 --topic events --property parse.key=true --property key.separator=: < lines.txt",
        ],
      ),
    );
    return 0;
  }
  const topic = a.require("--topic");
  const props = a.props("--property");
  const known = [
    "parse.key",
    "key.separator",
    "parse.headers",
    "headers.delimiter",
    "headers.separator",
    "headers.key.separator",
    "null.marker",
    "ignore.error",
  ];
  for (const k of props.keys())
    if (!known.includes(k)) throw new UsageError(`unsupported --property '${k}'. Supported: ${known.join(", ")}`);
  const parseKey = props.get("parse.key") === "true";
  const keySep = unescapeSeparator(props.get("key.separator") ?? "\t");
  const parseHeaders = props.get("parse.headers") === "true";
  const headersDelim = unescapeSeparator(props.get("headers.delimiter") ?? "\t");
  const headersSep = unescapeSeparator(props.get("headers.separator") ?? ",");
  const headerKeySep = unescapeSeparator(props.get("headers.key.separator") ?? ":");
  const nullMarker = props.get("null.marker");
  const options: Record<string, unknown> = {
    bootstrapBrokers: bootstrapOf(a),
    clientId: "console-producer",
    lingerMs: a.int("--timeout", 5),
    ...producerProps(a.props("--producer-property")),
  };
  const codec = a.get("--compression-codec");
  if (codec !== undefined) Object.assign(options, producerProps(new Map([["compression.type", codec]])));
  const acks = a.get("--request-required-acks");
  if (acks !== undefined) Object.assign(options, producerProps(new Map([["acks", acks]])));
  const partition = a.int("--partition");
  const chunk = a.int("--batch-size", 200)!;
  const sync = a.has("--sync");
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
