// gregor configs (kafka-configs.sh): --describe / --alter --add-config k=v,... --delete-config k,...
import { Admin, type ConfigResourceType } from "@gregor/client";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, type Tool, UsageError, need } from "../options.js";

interface ConfigsOpts extends BootstrapOpts {
  describe?: boolean;
  alter?: boolean;
  entityType?: string;
  entityName?: string;
  entityDefault?: boolean;
  topic?: string;
  broker?: string;
  addConfig?: string;
  deleteConfig?: string;
  all?: boolean;
}

export const configsTool: Tool = {
  name: "configs",
  summary: "describe and alter configs (kafka-configs.sh)",
  description: "Describe and alter topic and broker configs (what kafka-configs.sh does).",
  examples: [
    "gregor configs --bootstrap-server localhost:9092 --entity-type topics --entity-name events --describe",
    "gregor configs --bootstrap-server localhost:9092 --entity-type topics --entity-name events --alter --add-config retention.ms=86400000",
    "gregor configs --bootstrap-server localhost:9092 --entity-type brokers --entity-name 1 --describe",
  ],
  options: (cmd) =>
    cmd
      .option("--describe", "List configs for the given entity.")
      .option("--alter", "Alter the configuration for the entity.")
      .option("--entity-type <topics|brokers>", "Type of entity.")
      .option("--entity-name <name>", "Name of entity (topic name or broker id).")
      .option("--entity-default", "Default entity (cluster-wide broker defaults).")
      .option("--topic <topic>", "Same as --entity-type topics --entity-name <topic>.")
      .option("--broker <id>", "Same as --entity-type brokers --entity-name <id>.")
      .option("--add-config <k=v,k2=v2>", "Configs to set.")
      .option("--delete-config <k,k2>", "Configs to remove (back to the default).")
      .option("--all", "With --describe: all configs, not only dynamic ones."),
  run: configsCommand,
};

const SOURCE = [
  "UNKNOWN",
  "DYNAMIC_TOPIC_CONFIG",
  "DYNAMIC_BROKER_CONFIG",
  "DYNAMIC_DEFAULT_BROKER_CONFIG",
  "STATIC_BROKER_CONFIG",
  "DEFAULT_CONFIG",
  "DYNAMIC_BROKER_LOGGER_CONFIG",
  "CLIENT_METRICS_CONFIG",
  "GROUP_CONFIG",
];

async function configsCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<ConfigsOpts>();
  let type: ConfigResourceType;
  let name: string;
  if (o.topic !== undefined) [type, name] = ["topic", o.topic];
  else if (o.broker !== undefined) [type, name] = ["broker", o.broker];
  else {
    const t = need(o.entityType, "--entity-type <topics|brokers>");
    if (t !== "topics" && t !== "brokers") throw new UsageError(`--entity-type must be topics or brokers, got '${t}'`);
    type = t === "topics" ? "topic" : "broker";
    name = o.entityDefault ? "" : need(o.entityName, "--entity-name <name>");
  }
  if ((o.describe === true) === (o.alter === true))
    throw new UsageError("exactly one of --describe or --alter is required");
  const admin = new Admin({ bootstrapBrokers: o.bootstrapServer, clientId: "gregor-configs", retry: { retries: 3 } });
  const label = type === "topic" ? `topic ${name}` : name === "" ? "default brokers" : `broker ${name}`;
  try {
    if (o.describe) {
      const [d] = await admin.describeConfigs([{ type, name }]);
      const all = o.all === true;
      const shown = (d?.configs ?? []).filter((c) => all || c.source === 1 || c.source === 2 || c.source === 3);
      io.out(`${all ? "All" : "Dynamic"} configs for ${label} are:\n`);
      for (const c of shown) {
        const v = c.isSensitive ? null : c.value;
        io.out(
          `  ${c.name}=${v ?? "null"} sensitive=${c.isSensitive} synonyms={${SOURCE[c.source] ?? "UNKNOWN"}:${c.name}=${v ?? "null"}}\n`,
        );
      }
      return 0;
    }
    const ops: { name: string; value: string | null; op: "set" | "delete" }[] = [];
    const add = o.addConfig;
    if (add) {
      for (const kv of add.split(/,(?=[^,=]+=)/)) {
        const i = kv.indexOf("=");
        if (i <= 0) throw new UsageError(`--add-config expects k=v[,k2=v2], got '${kv}'`);
        ops.push({ name: kv.slice(0, i), value: kv.slice(i + 1).replace(/^\[(.*)\]$/, "$1"), op: "set" });
      }
    }
    const del = o.deleteConfig;
    if (del) for (const k of del.split(",")) ops.push({ name: k.trim(), value: null, op: "delete" });
    if (ops.length === 0) throw new UsageError("--alter needs --add-config and/or --delete-config");
    await admin.incrementalAlterConfigs([{ type, name, ops }]);
    io.out(`Completed updating config for ${label}.\n`);
    return 0;
  } finally {
    await admin.close();
  }
}
