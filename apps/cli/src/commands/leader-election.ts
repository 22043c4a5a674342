// gregor leader-election (kafka-leader-election.sh): a PREFERRED or UNCLEAN leader election
// (ElectLeaders, API 43, KIP-460) for one partition (--topic + --partition), the partitions of a
// JSON file (--path-to-json-file), or every partition (--all-topic-partitions). Output and exit
// code as Kafka's LeaderElectionCommand: successes, "Valid replica already elected", one line per
// failure and exit 1 if any failed.
import { readFile } from "node:fs/promises";
import { Admin, KafkaProtocolError } from "@gregor/client";
import { ApiKey, type ElectLeadersResponse, ErrorCode } from "@gregor/protocol";
import { type Command, Option } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, intOption, oneOf, type Tool, UsageError } from "../options.js";

interface ElectionOpts extends BootstrapOpts {
  electionType?: "PREFERRED" | "UNCLEAN";
  topic?: string;
  partition?: number;
  allTopicPartitions?: boolean;
  pathToJsonFile?: string;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

const JSON_EXAMPLE = '{"partitions": [{"topic": "foo", "partition": 1}, {"topic": "foobar", "partition": 2}]}';

export const leaderElectionTool: Tool = {
  name: "leader-election",
  summary: "elect partition leaders: preferred or unclean (kafka-leader-election.sh)",
  description:
    "Move partition leadership back to the preferred replica (--election-type preferred) or elect a leader for a partition that has none, even out of the ISR (--election-type unclean). Choose the partitions with exactly one of --topic and --partition, --path-to-json-file, or --all-topic-partitions. Exit code 1 if any election failed.",
  examples: [
    "gregor leader-election --bootstrap-server localhost:9092 --election-type preferred --all-topic-partitions",
    "gregor leader-election --bootstrap-server localhost:9092 --election-type preferred --topic events --partition 0",
    "bin/kafka-leader-election.sh --bootstrap-server localhost:9092 --election-type unclean --path-to-json-file elect.json",
  ],
  options: (cmd) =>
    cmd
      .addOption(
        new Option("--election-type <type>", "REQUIRED: preferred or unclean (either case).").argParser(electionTypeOf),
      )
      .option("--topic <topic>", "The topic of the partition to elect for; needs --partition.")
      .addOption(intOption("--partition <id>", "The partition to elect for; needs --topic."))
      .option("--all-topic-partitions", "Every partition where the election type applies.")
      .option("--path-to-json-file <file>", `The partitions to elect for, as JSON: ${JSON_EXAMPLE}`),
  run: leaderElectionCommand,
};

function electionTypeOf(v: string): "PREFERRED" | "UNCLEAN" {
  const upper = v.toUpperCase();
  if (upper !== "PREFERRED" && upper !== "UNCLEAN") {
    throw new UsageError(`option '--election-type' must be preferred or unclean, got '${v}'`);
  }
  return upper;
}

/** Kafka's replica election JSON: {"partitions": [{"topic": "...", "partition": n}, ...]}, no duplicates. */
export function parseElectionJson(text: string, file: string): TopicPartition[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const partitions = (json as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(partitions)) {
    throw new UsageError(`Replica election data in ${file} is missing the "partitions" array, e.g. ${JSON_EXAMPLE}`);
  }
  const out = partitions.map((p: unknown, i) => {
    const { topic, partition } = (p ?? {}) as { topic?: unknown; partition?: unknown };
    if (typeof topic !== "string" || topic === "" || !Number.isSafeInteger(partition) || (partition as number) < 0) {
      throw new UsageError(
        `${file}: partitions[${i}] must be {"topic": "<name>", "partition": <integer >= 0>}, got ${JSON.stringify(p)}`,
      );
    }
    return { topic, partition: partition as number };
  });
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const p of out) {
    const name = `${p.topic}-${p.partition}`;
    if (seen.has(name)) duplicates.add(name);
    seen.add(name);
  }
  if (duplicates.size > 0) {
    throw new UsageError(`Replica election data contains duplicate partitions: ${[...duplicates].join(",")}`);
  }
  return out;
}

/** The partitions to elect for, or null for all of them. */
async function partitionsOf(o: ElectionOpts): Promise<TopicPartition[] | null> {
  const how = oneOf(
    o,
    ["--all-topic-partitions", "--topic", "--path-to-json-file"],
    "exactly one of --all-topic-partitions, --topic, --path-to-json-file is required",
  );
  if (how !== "--topic" && o.partition !== undefined) throw new UsageError("--partition is only allowed with --topic");
  if (how === "--all-topic-partitions") return null;
  if (how === "--topic") {
    if (o.partition === undefined) throw new UsageError("--topic needs --partition <id>");
    if (o.partition < 0) throw new UsageError(`option '--partition' must be >= 0, got ${o.partition}`);
    return [{ topic: o.topic!, partition: o.partition }];
  }
  const file = o.pathToJsonFile!;
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read --path-to-json-file ${file}: ${e.code ?? e.message}`);
  });
  return parseElectionJson(text, file);
}

function group(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  return [...byTopic].map(([topic, ids]) => ({ topic, partitions: ids }));
}

async function leaderElectionCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<ElectionOpts>();
  if (o.electionType === undefined) throw new UsageError("missing required option '--election-type <type>'");
  const electionType = o.electionType;
  const partitions = await partitionsOf(o);
  const admin = new Admin({ bootstrapBrokers: o.bootstrapServer, clientId: "gregor-leader-election" });
  try {
    const c = await admin.cluster.anyBroker();
    const res = await c.request<ElectLeadersResponse>(ApiKey.ElectLeaders, {
      electionType: electionType === "PREFERRED" ? 0 : 1,
      topicPartitions: partitions === null ? null : group(partitions),
      timeoutMs: 30_000,
    });
    if ((res.errorCode ?? 0) !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode ?? 0, "ElectLeaders");
    const results = res.replicaElectionResults
      .flatMap((t) => t.partitionResult.map((p) => ({ name: `${t.topic}-${p.partitionId}`, ...p })))
      .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    const succeeded = results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.name);
    const noop = results.filter((r) => r.errorCode === ErrorCode.ELECTION_NOT_NEEDED).map((r) => r.name);
    const failed = results.filter(
      (r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED,
    );
    if (succeeded.length > 0) {
      io.out(`Successfully completed leader election (${electionType}) for partitions ${succeeded.join(", ")}\n`);
    }
    if (noop.length > 0) io.out(`Valid replica already elected for partitions ${noop.join(", ")}\n`);
    for (const f of failed) {
      const error = new KafkaProtocolError(f.errorCode, f.errorMessage).message;
      io.out(`Error completing leader election (${electionType}) for partition: ${f.name}: ${error}\n`);
    }
    if (failed.length > 0) throw new Error(`${failed.length} replica(s) could not be elected`);
    return 0;
  } finally {
    await admin.close();
  }
}
