import { GregorClientError, KafkaProtocolError } from "@gregor/client";
import { Command } from "commander";
import { clusterTool } from "./commands/cluster.js";
import { configsTool } from "./commands/configs.js";
import { consumeTool } from "./commands/consume.js";
import { groupsTool } from "./commands/groups.js";
import { leaderElectionTool } from "./commands/leader-election.js";
import { metadataQuorumTool } from "./commands/metadata-quorum.js";
import { perfTool } from "./commands/perf.js";
import { produceTool } from "./commands/produce.js";
import { reassignPartitionsTool } from "./commands/reassign-partitions.js";
import { storageTool } from "./commands/storage.js";
import { topicsTool } from "./commands/topics.js";
import { processIo, type Io } from "./io.js";
import { HelpShown, UsageError, addTool, configure, type Tool } from "./options.js";

export type { Io } from "./io.js";

const TOOLS: readonly Tool[] = [
  topicsTool,
  produceTool,
  consumeTool,
  groupsTool,
  configsTool,
  clusterTool,
  metadataQuorumTool,
  leaderElectionTool,
  reassignPartitionsTool,
  perfTool,
  storageTool,
];

/** What a broker error is about, in Kafka's "Error while executing <what> command" line. */
const WHAT: Record<string, string> = {
  topics: "topic",
  produce: "producer",
  consume: "consumer",
  groups: "consumer group",
};

const MAIN_HELP = `
Every command needs --bootstrap-server host:port. Run 'gregor <command> --help' (or 'gregor help
<command>') for its options and examples. Exit code 0 on success, 1 on any error (one line on
stderr, no stack trace).

Examples:
  gregor topics --bootstrap-server localhost:9092 --create --topic events --partitions 3
  echo hello | gregor produce --bootstrap-server localhost:9092 --topic events
  gregor consume --bootstrap-server localhost:9092 --topic events --from-beginning --max-messages 1
  gregor groups --bootstrap-server localhost:9092 --describe --group readers
`;

function program(io: Io, done: (code: number) => void): Command {
  const root = configure(new Command("gregor"), io).description(
    "Command-line tools for Gregor and any Kafka-compatible cluster. The bin/kafka-*.sh scripts run the same commands under Kafka's tool names, with Kafka's flags.",
  );
  for (const t of TOOLS) addTool(root, t, io, done);
  root.addHelpText("after", MAIN_HELP);
  return root;
}

function reportError(e: unknown, tool: string, io: Io): void {
  if (e instanceof KafkaProtocolError) {
    const detail = e.message.slice(e.type.length + 2);
    io.err(`Error while executing ${WHAT[tool] ?? tool} command : ${detail}\n`);
    io.err(`[${new Date().toISOString()}] ERROR ${e.type}: ${detail}\n`);
  } else if (e instanceof UsageError || e instanceof GregorClientError) io.err(`Error: ${e.message}\n`);
  else io.err(`Error: ${(e as Error)?.message ?? String(e)}\n`);
}

export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  // `gregor help <tool> [<sub>]` is `gregor <tool> [<sub>] --help`.
  if (argv[0] === "help") argv = [...argv.slice(1).filter((a) => !a.startsWith("-")), "--help"];
  let code = 0;
  const root = program(io, (c) => {
    code = c;
  });
  const tool = root.commands.find((c) => c.name() === argv[0] || c.aliases().includes(argv[0] ?? ""));
  try {
    await root.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof HelpShown) return e.exitCode;
    reportError(e, tool?.name() ?? "", io);
    return 1;
  }
}
