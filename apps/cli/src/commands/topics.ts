// gregor topics (kafka-topics.sh): --create / --list / --describe (with --under-replicated-partitions,
// --unavailable-partitions, --under-min-isr-partitions, --at-min-isr-partitions) / --alter / --delete.
import { Admin, type PartitionInfo, type TopicInfo } from "@gregor/client";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, type Tool, UsageError, intOption, need, oneOf, pairsOption } from "../options.js";

interface TopicsOpts extends BootstrapOpts {
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Map<string, string>;
  ifNotExists?: boolean;
  ifExists?: boolean;
  excludeInternal?: boolean;
  underReplicatedPartitions?: boolean;
  unavailablePartitions?: boolean;
  underMinIsrPartitions?: boolean;
  atMinIsrPartitions?: boolean;
}

const ACTIONS = ["--create", "--list", "--describe", "--alter", "--delete"] as const;

export const topicsTool: Tool = {
  name: "topics",
  summary: "create, list, describe, alter, delete topics (kafka-topics.sh)",
  description: "Create, delete, describe, or change a topic (what kafka-topics.sh does).",
  examples: [
    "gregor topics --bootstrap-server localhost:9092 --create --topic events --partitions 3 --replication-factor 1",
    "gregor topics --bootstrap-server localhost:9092 --describe --topic events",
    "gregor topics --bootstrap-server localhost:9092 --alter --topic events --partitions 6",
    "gregor topics --bootstrap-server localhost:9092 --delete --topic events",
  ],
  options: (cmd) =>
    cmd
      .option("--create", "Create a new topic.")
      .option("--list", "List all available topics.")
      .option("--describe", "List details for the given topics (all when --topic is omitted).")
      .option("--alter", "Alter the number of partitions of a topic.")
      .option("--delete", "Delete a topic.")
      .option("--topic <topic>", "The topic to create, alter, describe or delete.")
      .addOption(intOption("--partitions <n>", "The number of partitions for the topic being created or altered."))
      .addOption(
        intOption("--replication-factor <n>", "The replication factor for each partition in the topic being created."),
      )
      .addOption(pairsOption("--config <name=value>", "A topic configuration override for the topic being created"))
      .option("--if-not-exists", "With --create: only create the topic if it does not already exist.")
      .option("--if-exists", "With --alter/--delete/--describe: only act if the topic exists.")
      .option("--exclude-internal", "Exclude internal topics when listing or describing.")
      .option(
        "--under-replicated-partitions",
        "With --describe: only partitions whose ISR is smaller than their replicas.",
      )
      .option(
        "--unavailable-partitions",
        "With --describe: only partitions without a leader, or whose leader is not live.",
      )
      .option(
        "--under-min-isr-partitions",
        "With --describe: only partitions whose ISR is smaller than min.insync.replicas.",
      )
      .option("--at-min-isr-partitions", "With --describe: only partitions whose ISR is exactly min.insync.replicas."),
  run: topicsCommand,
};

async function topicsCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<TopicsOpts>();
  const action = oneOf(o, ACTIONS);
  const admin = new Admin({ bootstrapBrokers: o.bootstrapServer, clientId: "gregor-topics", retry: { retries: 3 } });
  try {
    switch (action) {
      case "--create": {
        const topic = need(o.topic, "--topic <topic>");
        try {
          await admin.createTopics([
            {
              topic,
              numPartitions: o.partitions ?? -1,
              replicationFactor: o.replicationFactor ?? -1,
              configs: Object.fromEntries(o.config ?? []),
            },
          ]);
        } catch (e) {
          if (o.ifNotExists && (e as { type?: string }).type === "TOPIC_ALREADY_EXISTS") return 0;
          throw e;
        }
        io.out(`Created topic ${topic}.\n`);
        return 0;
      }
      case "--list": {
        for (const t of await admin.listTopics({ includeInternal: !o.excludeInternal })) io.out(`${t}\n`);
        return 0;
      }
      case "--describe":
        return await describe(admin, o, io);
      case "--alter": {
        const topic = need(o.topic, "--topic <topic>");
        if (o.partitions === undefined) throw new UsageError("--alter needs --partitions <n>");
        await admin.createPartitions([{ topic, count: o.partitions }]);
        io.out(
          "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\nAdding partitions succeeded!\n",
        );
        return 0;
      }
      default: {
        const topic = need(o.topic, "--topic <topic>");
        try {
          await admin.deleteTopics([topic]);
        } catch (e) {
          if (o.ifExists && (e as { type?: string }).type === "UNKNOWN_TOPIC_OR_PARTITION") return 0;
          throw e;
        }
        return 0;
      }
    }
  } finally {
    await admin.close();
  }
}

/** Kafka's describe filters: a partition is printed when any given filter matches it. */
type PartitionFilter = (p: PartitionInfo, live: ReadonlySet<number>, minIsr: number) => boolean;

const FILTERS: Record<string, PartitionFilter> = {
  underReplicatedPartitions: (p) => p.isr.length < p.replicas.length,
  unavailablePartitions: (p, live) => p.leader < 0 || !live.has(p.leader),
  underMinIsrPartitions: (p, _live, minIsr) => p.isr.length < minIsr,
  atMinIsrPartitions: (p, _live, minIsr) => p.isr.length === minIsr,
};

/** The topic's configs (overrides only, Kafka's Configs column) and its min.insync.replicas. */
async function topicConfigs(admin: Admin, name: string): Promise<{ column: string; minIsr: number }> {
  try {
    const [d] = await admin.describeConfigs([{ type: "topic", name }]);
    const configs = d?.configs ?? [];
    const column = configs
      .filter((c) => !c.isDefault && c.source !== 5 && c.source !== 4 && c.source !== -1)
      .map((c) => `${c.name}=${c.isSensitive ? "<sensitive>" : (c.value ?? "")}`)
      .join(",");
    const minIsr = Number(configs.find((c) => c.name === "min.insync.replicas")?.value ?? 1);
    return { column, minIsr: Number.isSafeInteger(minIsr) ? minIsr : 1 };
  } catch {
    // brokers without DescribeConfigs: no configs column content, Kafka's default min.insync.replicas
    return { column: "", minIsr: 1 };
  }
}

async function describe(admin: Admin, o: TopicsOpts, io: Io): Promise<number> {
  const filters = Object.entries(FILTERS)
    .filter(([flag]) => o[flag as keyof TopicsOpts] === true)
    .map(([, f]) => f);
  let topics: string[];
  if (o.topic === undefined) topics = await admin.listTopics({ includeInternal: o.excludeInternal !== true });
  else topics = o.topic.split(",");
  for (const name of topics) {
    let info: TopicInfo | undefined;
    try {
      [info] = await admin.describeTopics([name]);
    } catch (e) {
      if (o.ifExists) continue;
      throw e;
    }
    if (!info) continue;
    const live = new Set(admin.cluster.brokers.keys());
    const { column, minIsr } = await topicConfigs(admin, name);
    const rf = info.partitions[0]?.replicas.length ?? 0;
    // Like Kafka, a filtered describe prints the matching partitions only, without the topic line.
    if (filters.length === 0)
      io.out(
        `Topic: ${name}\tTopicId: ${info.topicId || "null"}\tPartitionCount: ${info.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${column}\n`,
      );
    for (const p of info.partitions) {
      if (!p) continue;
      if (filters.length > 0 && !filters.some((f) => f(p, live, minIsr))) continue;
      const offline = p.offlineReplicas.length > 0 ? `\tOffline: ${p.offlineReplicas.join(",")}` : "";
      io.out(
        `\tTopic: ${name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? "none" : p.leader}\tReplicas: ${p.replicas.join(",")}\tIsr: ${p.isr.join(",")}${offline}\n`,
      );
    }
  }
  return 0;
}
