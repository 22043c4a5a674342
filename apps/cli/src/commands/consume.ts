// gregor consume (kafka-console-consumer.sh): prints records like Kafka's DefaultMessageFormatter.
import { Admin, Consumer, type Message, type StartPosition } from "@gregor/client";
import { BOOTSTRAP, HELP, UsageError, bootstrapOf, parseArgs, usage, type FlagSpec } from "../args.js";
import type { Io } from "../io.js";
import { consumerProps } from "./client-props.js";

const SPECS: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--topic", arg: "<topic>", desc: "The topic to consume from." },
  { flag: "--include", arg: "<regex>", desc: "Consume every topic matching this regular expression (needs --group)." },
  { flag: "--group", arg: "<group>", desc: "The consumer group id (subscribe and commit offsets)." },
  { flag: "--partition", arg: "<n>", desc: "Consume only this partition." },
  { flag: "--offset", arg: "<earliest|latest|n>", desc: "Where to start in --partition (default latest)." },
  { flag: "--from-beginning", desc: "Start with the earliest record when there is no committed offset." },
  { flag: "--from-timestamp", arg: "<ms|ISO-8601>", desc: "Start at the first record at or after this time." },
  { flag: "--max-messages", arg: "<n>", desc: "Exit after this many records." },
  { flag: "--timeout-ms", arg: "<ms>", desc: "Exit when no record arrives for this long." },
  {
    flag: "--property",
    arg: "<key=value>",
    desc: "Formatter: print.key, print.value, print.timestamp, print.partition, print.offset, print.headers, key.separator, line.separator, headers.separator, null.literal.",
    repeatable: true,
  },
  {
    flag: "--consumer-property",
    arg: "<key=value>",
    desc: "Consumer properties: group.id, auto.offset.reset, isolation.level, fetch.max.bytes, ...",
    repeatable: true,
  },
  { flag: "--isolation-level", arg: "<level>", desc: "read_uncommitted (default) or read_committed." },
  { flag: "--skip-message-on-error", desc: "Accepted for compatibility." },
  HELP,
];

const FORMAT_KEYS = [
  "print.key",
  "print.value",
  "print.timestamp",
  "print.partition",
  "print.offset",
  "print.headers",
  "key.separator",
  "line.separator",
  "headers.separator",
  "null.literal",
];

function unescapeSeparator(s: string): string {
  return s.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
}

export async function consumeCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs("consume", SPECS, argv);
  if (a.has("--help")) {
    io.out(
      usage(
        "consume",
        "Reads records and prints them to standard output (what kafka-console-consumer.sh does). Ctrl-C stops it; the count goes to stderr.",
        SPECS,
        [
          "gregor consume --bootstrap-server localhost:9092 --topic events --from-beginning",
          "gregor consume --bootstrap-server localhost:9092 --topic events --group readers --property print.key=true",
          "gregor consume --bootstrap-server localhost:9092 --topic events --partition 0 --offset 42 --max-messages 10",
        ],
      ),
    );
    return 0;
  }
  const topic = a.get("--topic");
  const include = a.get("--include");
  if ((topic === undefined) === (include === undefined))
    throw new UsageError("exactly one of --topic or --include is required");
  const fmt = a.props("--property");
  for (const k of fmt.keys())
    if (!FORMAT_KEYS.includes(k))
      throw new UsageError(`unsupported --property '${k}'. Supported: ${FORMAT_KEYS.join(", ")}`);
  const partitionArg = a.int("--partition");
  const offsetArg = a.get("--offset");
  if (offsetArg !== undefined && partitionArg === undefined) throw new UsageError("--offset needs --partition");
  if (offsetArg !== undefined && a.has("--from-beginning"))
    throw new UsageError("--offset and --from-beginning cannot be used together");
  let start: StartPosition = a.has("--from-beginning") ? "earliest" : "latest";
  if (offsetArg !== undefined) {
    if (offsetArg === "earliest" || offsetArg === "latest") start = offsetArg;
    else if (/^\d+$/.test(offsetArg)) start = BigInt(offsetArg);
    else throw new UsageError(`--offset must be earliest, latest or a non-negative integer, got '${offsetArg}'`);
  }
  const ts = a.get("--from-timestamp");
  if (ts !== undefined) {
    const ms = /^\d+$/.test(ts) ? Number(ts) : Date.parse(ts);
    if (Number.isNaN(ms))
      throw new UsageError(`--from-timestamp must be milliseconds or an ISO-8601 time, got '${ts}'`);
    start = { timestamp: ms };
  }
  const maxMessages = a.int("--max-messages");
  const timeoutMs = a.int("--timeout-ms");
  const extra = consumerProps(a.props("--consumer-property"));
  const iso = a.get("--isolation-level");
  if (iso !== undefined) Object.assign(extra, consumerProps(new Map([["isolation.level", iso]])));
  const groupId = a.get("--group") ?? (extra.groupId as string | undefined);
  const bootstrapBrokers = bootstrapOf(a);
  const consumer = new Consumer({
    bootstrapBrokers,
    clientId: "console-consumer",
    autoOffsetReset: start === "earliest" ? "earliest" : "latest",
    ...extra,
    ...(groupId ? { groupId } : {}),
  });
  const printKey = fmt.get("print.key") === "true";
  const printValue = fmt.get("print.value") !== "false";
  const printTs = fmt.get("print.timestamp") === "true";
  const printPartition = fmt.get("print.partition") === "true";
  const printOffset = fmt.get("print.offset") === "true";
  const printHeaders = fmt.get("print.headers") === "true";
  const keySep = unescapeSeparator(fmt.get("key.separator") ?? "\t");
  const lineSep = unescapeSeparator(fmt.get("line.separator") ?? "\n");
  const headersSep = unescapeSeparator(fmt.get("headers.separator") ?? ",");
  const nullLiteral = fmt.get("null.literal") ?? "null";
  const format = (m: Message): string => {
    let s = "";
    if (printTs) s += `CreateTime:${m.timestamp}${keySep}`;
    if (printPartition) s += `Partition:${m.partition}${keySep}`;
    if (printOffset) s += `Offset:${m.offset}${keySep}`;
    if (printHeaders)
      s +=
        (m.headers.length === 0
          ? "NO_HEADERS"
          : m.headers.map((h) => `${h.key}:${h.value === null ? nullLiteral : h.value.toString()}`).join(headersSep)) +
        keySep;
    if (printKey) s += (m.key === null ? nullLiteral : m.key.toString()) + (printValue ? keySep : "");
    if (printValue) s += m.value === null ? nullLiteral : m.value.toString();
    return s + lineSep;
  };
  let count = 0;
  let timer: NodeJS.Timeout | null = null;
  let timedOut = false;
  const arm = (): void => {
    if (timeoutMs === undefined) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      void consumer.close();
    }, timeoutMs);
  };
  const onSignal = (): void => void consumer.close();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (include !== undefined) {
      if (!groupId) throw new UsageError("--include needs --group");
      consumer.subscribe(new RegExp(include));
    } else if (groupId && partitionArg === undefined) consumer.subscribe([topic!]);
    else if (partitionArg !== undefined) consumer.assign([{ topic: topic!, partition: partitionArg, offset: start }]);
    else {
      const admin = new Admin({ bootstrapBrokers, clientId: "console-consumer" });
      try {
        const [info] = await admin.describeTopics([topic!]);
        consumer.assign(info!.partitions.map((p) => ({ topic: topic!, partition: p.partition, offset: start })));
      } finally {
        await admin.close();
      }
    }
    arm();
    outer: for await (const batch of consumer) {
      arm();
      let out = "";
      for (const m of batch.messages) {
        out += format(m);
        count++;
        if (maxMessages !== undefined && count >= maxMessages) {
          io.out(out);
          out = "";
          break outer;
        }
      }
      io.out(out);
    }
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await consumer.close();
  }
  if (timedOut)
    io.err(
      `[${new Date().toISOString()}] ERROR Error processing message, terminating consumer process: TimeoutException\n`,
    );
  io.err(`Processed a total of ${count} messages\n`);
  return 0;
}
