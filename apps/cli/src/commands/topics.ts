// gregor topics (kafka-topics.sh): --create / --list / --describe / --alter / --delete.
import { Admin, type TopicInfo } from "@gregor/client";
import { BOOTSTRAP, HELP, UsageError, bootstrapOf, parseArgs, usage, type FlagSpec } from "../args.js";
import type { Io } from "../io.js";

const SPECS: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--create", desc: "Create a new topic." },
  { flag: "--list", desc: "List all available topics." },
  { flag: "--describe", desc: "List details for the given topics (all when --topic is omitted)." },
  { flag: "--alter", desc: "Alter the number of partitions of a topic." },
  { flag: "--delete", desc: "Delete a topic." },
  { flag: "--topic", arg: "<topic>", desc: "The topic to create, alter, describe or delete." },
  { flag: "--partitions", arg: "<n>", desc: "The number of partitions for the topic being created or altered." },
  {
    flag: "--replication-factor",
    arg: "<n>",
    desc: "The replication factor for each partition in the topic being created.",
  },
  {
    flag: "--config",
    arg: "<name=value>",
    desc: "A topic configuration override for the topic being created (repeatable).",
    repeatable: true,
  },
  { flag: "--if-not-exists", desc: "With --create: only create the topic if it does not already exist." },
  { flag: "--if-exists", desc: "With --alter/--delete/--describe: only act if the topic exists." },
  { flag: "--exclude-internal", desc: "Exclude internal topics when listing or describing." },
  HELP,
];

const SUMMARY = "Create, delete, describe, or change a topic (what kafka-topics.sh does).";
const EXAMPLES = [
  "gregor topics --bootstrap-server localhost:9092 --create --topic events --partitions 3 --replication-factor 1",
  "gregor topics --bootstrap-server localhost:9092 --describe --topic events",
  "gregor topics --bootstrap-server localhost:9092 --alter --topic events --partitions 6",
  "gregor topics --bootstrap-server localhost:9092 --delete --topic events",
];

export async function topicsCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs("topics", SPECS, argv);
  if (a.has("--help")) {
    io.out(usage("topics", SUMMARY, SPECS, EXAMPLES));
    return 0;
  }
  const actions = ["--create", "--list", "--describe", "--alter", "--delete"].filter((f) => a.has(f));
  if (actions.length !== 1)
    throw new UsageError("exactly one of --create, --list, --describe, --alter, --delete is required");
  const admin = new Admin({ bootstrapBrokers: bootstrapOf(a), clientId: "gregor-topics", retry: { retries: 3 } });
  try {
    switch (actions[0]) {
      case "--create": {
        const topic = a.require("--topic");
        const configs: Record<string, string> = {};
        for (const [k, v] of a.props("--config")) configs[k] = v;
        try {
          await admin.createTopics([
            {
              topic,
              numPartitions: a.int("--partitions", -1)!,
              replicationFactor: a.int("--replication-factor", -1)!,
              configs,
            },
          ]);
        } catch (e) {
          if (a.has("--if-not-exists") && (e as { type?: string }).type === "TOPIC_ALREADY_EXISTS") return 0;
          throw e;
        }
        io.out(`Created topic ${topic}.\n`);
        return 0;
      }
      case "--list": {
        for (const t of await admin.listTopics({ includeInternal: !a.has("--exclude-internal") })) io.out(`${t}\n`);
        return 0;
      }
      case "--describe":
        return await describe(admin, a.get("--topic"), a.has("--exclude-internal"), a.has("--if-exists"), io);
      case "--alter": {
        const topic = a.require("--topic");
        const n = a.int("--partitions");
        if (n === undefined) throw new UsageError("--alter needs --partitions <n>");
        await admin.createPartitions([{ topic, count: n }]);
        io.out(
          "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\nAdding partitions succeeded!\n",
        );
        return 0;
      }
      default: {
        const topic = a.require("--topic");
        try {
          await admin.deleteTopics([topic]);
        } catch (e) {
          if (a.has("--if-exists") && (e as { type?: string }).type === "UNKNOWN_TOPIC_OR_PARTITION") return 0;
          throw e;
        }
        return 0;
      }
    }
  } finally {
    await admin.close();
  }
}

async function describe(
  admin: Admin,
  topicArg: string | undefined,
  excludeInternal: boolean,
  ifExists: boolean,
  io: Io,
): Promise<number> {
  let topics: string[];
  if (topicArg === undefined) topics = await admin.listTopics({ includeInternal: !excludeInternal });
  else topics = topicArg.split(",");
  for (const name of topics) {
    let info: TopicInfo | undefined;
    try {
      [info] = await admin.describeTopics([name]);
    } catch (e) {
      if (ifExists) continue;
      throw e;
    }
    if (!info) continue;
    let configs = "";
    try {
      const [d] = await admin.describeConfigs([{ type: "topic", name }]);
      configs = (d?.configs ?? [])
        .filter((c) => !c.isDefault && c.source !== 5 && c.source !== 4 && c.source !== -1)
        .map((c) => `${c.name}=${c.isSensitive ? "<sensitive>" : (c.value ?? "")}`)
        .join(",");
    } catch {
      // brokers without DescribeConfigs: no configs column content
    }
    const rf = info.partitions[0]?.replicas.length ?? 0;
    io.out(
      `Topic: ${name}\tTopicId: ${info.topicId || "null"}\tPartitionCount: ${info.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${configs}\n`,
    );
    for (const p of info.partitions) {
      if (!p) continue;
      const offline = p.offlineReplicas.length > 0 ? `\tOffline: ${p.offlineReplicas.join(",")}` : "";
      io.out(
        `\tTopic: ${name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? "none" : p.leader}\tReplicas: ${p.replicas.join(",")}\tIsr: ${p.isr.join(",")}${offline}\n`,
      );
    }
  }
  return 0;
}
