// gregor consume (kafka-console-consumer.sh): prints records like Kafka's DefaultMessageFormatter.
import { Admin, Consumer, type Message, type StartPosition } from "@gregor/client";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, type Tool, UsageError, intOption, pairsOption } from "../options.js";
import { consumerProps, unescapeSeparator } from "./client-props.js";

interface ConsumeOpts extends BootstrapOpts {
  topic?: string;
  include?: string;
  group?: string;
  partition?: number;
  offset?: string;
  fromBeginning?: boolean;
  fromTimestamp?: string;
  maxMessages?: number;
  timeoutMs?: number;
  property?: Map<string, string>;
  consumerProperty?: Map<string, string>;
  isolationLevel?: string;
}

export const consumeTool: Tool = {
  name: "consume",
  aliases: ["console-consumer"],
  summary: "print records (kafka-console-consumer.sh)",
  description:
    "Reads records and prints them to standard output (what kafka-console-consumer.sh does). Ctrl-C stops it; the count goes to stderr.",
  examples: [
    "gregor consume --bootstrap-server localhost:9092 --topic events --from-beginning",
    "gregor consume --bootstrap-server localhost:9092 --topic events --group readers --property print.key=true",
    "gregor consume --bootstrap-server localhost:9092 --topic events --partition 0 --offset 42 --max-messages 10",
  ],
  options: (cmd) =>
    cmd
      .option("--topic <topic>", "The topic to consume from.")
      .option("--include <regex>", "Consume every topic matching this regular expression (needs --group).")
      .option("--group <group>", "The consumer group id (subscribe and commit offsets).")
      .addOption(intOption("--partition <n>", "Consume only this partition."))
      .option("--offset <earliest|latest|n>", "Where to start in --partition (default latest).")
      .option("--from-beginning", "Start with the earliest record when there is no committed offset.")
      .option("--from-timestamp <ms|ISO-8601>", "Start at the first record at or after this time.")
      .addOption(intOption("--max-messages <n>", "Exit after this many records."))
      .addOption(intOption("--timeout-ms <ms>", "Exit when no record arrives for this long."))
      .addOption(
        pairsOption(
          "--property <key=value>",
          "Formatter: print.key, print.value, print.timestamp, print.partition, print.offset, print.headers, key.separator, line.separator, headers.separator, null.literal.",
        ),
      )
      .addOption(
        pairsOption(
          "--consumer-property <key=value>",
          "Consumer properties: group.id, auto.offset.reset, isolation.level, fetch.max.bytes, ...",
        ),
      )
      .option("--isolation-level <level>", "read_uncommitted (default) or read_committed.")
      .option("--skip-message-on-error", "Accepted for compatibility."),
  run: consumeCommand,
};

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

/** Where reading starts: --from-beginning, --offset (with --partition) or --from-timestamp. */
function startPosition(o: ConsumeOpts): StartPosition {
  const offsetArg = o.offset;
  if (offsetArg !== undefined && o.partition === undefined) throw new UsageError("--offset needs --partition");
  if (offsetArg !== undefined && o.fromBeginning)
    throw new UsageError("--offset and --from-beginning cannot be used together");
  let start: StartPosition = o.fromBeginning ? "earliest" : "latest";
  if (offsetArg !== undefined) {
    if (offsetArg === "earliest" || offsetArg === "latest") start = offsetArg;
    else if (/^\d+$/.test(offsetArg)) start = BigInt(offsetArg);
    else throw new UsageError(`--offset must be earliest, latest or a non-negative integer, got '${offsetArg}'`);
  }
  const ts = o.fromTimestamp;
  if (ts !== undefined) {
    const ms = /^\d+$/.test(ts) ? Number(ts) : Date.parse(ts);
    if (Number.isNaN(ms))
      throw new UsageError(`--from-timestamp must be milliseconds or an ISO-8601 time, got '${ts}'`);
    start = { timestamp: ms };
  }
  return start;
}

async function consumeCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<ConsumeOpts>();
  const { topic, include } = o;
  if ((topic === undefined) === (include === undefined))
    throw new UsageError("exactly one of --topic or --include is required");
  const fmt = o.property ?? new Map<string, string>();
  for (const k of fmt.keys())
    if (!FORMAT_KEYS.includes(k))
      throw new UsageError(`unsupported --property '${k}'. Supported: ${FORMAT_KEYS.join(", ")}`);
  const partitionArg = o.partition;
  const start = startPosition(o);
  const maxMessages = o.maxMessages;
  const timeoutMs = o.timeoutMs;
  const extra = consumerProps(o.consumerProperty ?? new Map());
  if (o.isolationLevel !== undefined)
    Object.assign(extra, consumerProps(new Map([["isolation.level", o.isolationLevel]])));
  const groupId = o.group ?? (extra.groupId as string | undefined);
  const bootstrapBrokers = o.bootstrapServer;
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
