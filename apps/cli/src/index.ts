import { GregorClientError, KafkaProtocolError } from "@gregor/client";
import { UsageError } from "./args.js";
import { clusterCommand } from "./commands/cluster.js";
import { configsCommand } from "./commands/configs.js";
import { consumeCommand } from "./commands/consume.js";
import { groupsCommand } from "./commands/groups.js";
import { perfCommand } from "./commands/perf.js";
import { produceCommand } from "./commands/produce.js";
import { topicsCommand } from "./commands/topics.js";
import { processIo, type Io } from "./io.js";

export type { Io } from "./io.js";

const COMMANDS: Record<
  string,
  { run: (argv: readonly string[], io: Io) => Promise<number>; desc: string; what: string }
> = {
  topics: { run: topicsCommand, desc: "create, list, describe, alter, delete topics (kafka-topics.sh)", what: "topic" },
  produce: {
    run: (a, io) => produceCommand(a, io),
    desc: "publish stdin lines (kafka-console-producer.sh)",
    what: "producer",
  },
  consume: { run: consumeCommand, desc: "print records (kafka-console-consumer.sh)", what: "consumer" },
  groups: {
    run: groupsCommand,
    desc: "list, describe, reset, delete consumer groups (kafka-consumer-groups.sh)",
    what: "consumer group",
  },
  configs: { run: configsCommand, desc: "describe and alter configs (kafka-configs.sh)", what: "configs" },
  cluster: { run: clusterCommand, desc: "cluster id, controller, brokers", what: "cluster" },
  perf: {
    run: perfCommand,
    desc: "perf produce|consume: load tests with a live progress line and latency percentiles",
    what: "perf",
  },
};
const ALIASES: Record<string, string> = {
  "console-producer": "produce",
  "console-consumer": "consume",
  "consumer-groups": "groups",
};

export function mainUsage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `Usage: gregor <command> [options]
Command-line tools for Gregor and any Kafka-compatible cluster. The bin/kafka-*.sh scripts run the
same commands under Kafka's tool names, with Kafka's flags.

Commands:
${Object.entries(COMMANDS)
  .map(([k, c]) => `  ${k.padEnd(w)}  ${c.desc}`)
  .join("\n")}

Every command needs --bootstrap-server host:port. Run 'gregor <command> --help' (or 'gregor help
<command>') for its options and examples. Exit code 0 on success, 1 on any error (one line on
stderr, no stack trace).

Examples:
  gregor topics --bootstrap-server localhost:9092 --create --topic events --partitions 3
  echo hello | gregor produce --bootstrap-server localhost:9092 --topic events
  gregor consume --bootstrap-server localhost:9092 --topic events --from-beginning --max-messages 1
  gregor groups --bootstrap-server localhost:9092 --describe --group readers
`;
}

export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "help" && rest[0] !== undefined && !rest[0].startsWith("-")) return runCli([rest[0], "--help"], io);
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(mainUsage());
    return cmd === undefined ? 1 : 0;
  }
  const c = COMMANDS[ALIASES[cmd] ?? cmd];
  if (!c) {
    io.err(`Error: unknown command '${cmd}'. Allowed: ${Object.keys(COMMANDS).join(", ")}. Run 'gregor --help'.\n`);
    return 1;
  }
  try {
    return await c.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) io.err(`Error: ${e.message}\n`);
    else if (e instanceof KafkaProtocolError) {
      const detail = e.message.slice(e.type.length + 2);
      io.err(`Error while executing ${c.what} command : ${detail}\n`);
      io.err(`[${new Date().toISOString()}] ERROR ${e.type}: ${detail}\n`);
    } else if (e instanceof GregorClientError) io.err(`Error: ${e.message}\n`);
    else io.err(`Error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
