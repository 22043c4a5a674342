// gregor configs (kafka-configs.sh): --describe / --alter --add-config k=v,... --delete-config k,...
import { Admin, type ConfigResourceType } from "@gregor/client";
import { BOOTSTRAP, HELP, UsageError, bootstrapOf, parseArgs, usage, type FlagSpec } from "../args.js";
import type { Io } from "../io.js";

const SPECS: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--describe", desc: "List configs for the given entity." },
  { flag: "--alter", desc: "Alter the configuration for the entity." },
  { flag: "--entity-type", arg: "<topics|brokers>", desc: "Type of entity." },
  { flag: "--entity-name", arg: "<name>", desc: "Name of entity (topic name or broker id)." },
  { flag: "--entity-default", desc: "Default entity (cluster-wide broker defaults)." },
  { flag: "--topic", arg: "<topic>", desc: "Same as --entity-type topics --entity-name <topic>." },
  { flag: "--broker", arg: "<id>", desc: "Same as --entity-type brokers --entity-name <id>." },
  { flag: "--add-config", arg: "<k=v,k2=v2>", desc: "Configs to set." },
  { flag: "--delete-config", arg: "<k,k2>", desc: "Configs to remove (back to the default)." },
  { flag: "--all", desc: "With --describe: all configs, not only dynamic ones." },
  HELP,
];

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

export async function configsCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs("configs", SPECS, argv);
  if (a.has("--help")) {
    io.out(
      usage("configs", "Describe and alter topic and broker configs (what kafka-configs.sh does).", SPECS, [
        "gregor configs --bootstrap-server localhost:9092 --entity-type topics --entity-name events --describe",
        "gregor configs --bootstrap-server localhost:9092 --entity-type topics --entity-name events --alter --add-config retention.ms=86400000",
        "gregor configs --bootstrap-server localhost:9092 --entity-type brokers --entity-name 1 --describe",
      ]),
    );
    return 0;
  }
  let type: ConfigResourceType;
  let name: string;
  if (a.has("--topic")) [type, name] = ["topic", a.require("--topic")];
  else if (a.has("--broker")) [type, name] = ["broker", a.require("--broker")];
  else {
    const t = a.require("--entity-type");
    if (t !== "topics" && t !== "brokers") throw new UsageError(`--entity-type must be topics or brokers, got '${t}'`);
    type = t === "topics" ? "topic" : "broker";
    name = a.has("--entity-default") ? "" : a.require("--entity-name");
  }
  if (a.has("--describe") === a.has("--alter"))
    throw new UsageError("exactly one of --describe or --alter is required");
  const admin = new Admin({ bootstrapBrokers: bootstrapOf(a), clientId: "gregor-configs", retry: { retries: 3 } });
  const label = type === "topic" ? `topic ${name}` : name === "" ? "default brokers" : `broker ${name}`;
  try {
    if (a.has("--describe")) {
      const [d] = await admin.describeConfigs([{ type, name }]);
      const all = a.has("--all");
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
    const add = a.get("--add-config");
    if (add) {
      for (const kv of add.split(/,(?=[^,=]+=)/)) {
        const i = kv.indexOf("=");
        if (i <= 0) throw new UsageError(`--add-config expects k=v[,k2=v2], got '${kv}'`);
        ops.push({ name: kv.slice(0, i), value: kv.slice(i + 1).replace(/^\[(.*)\]$/, "$1"), op: "set" });
      }
    }
    const del = a.get("--delete-config");
    if (del) for (const k of del.split(",")) ops.push({ name: k.trim(), value: null, op: "delete" });
    if (ops.length === 0) throw new UsageError("--alter needs --add-config and/or --delete-config");
    await admin.incrementalAlterConfigs([{ type, name, ops }]);
    io.out(`Completed updating config for ${label}.\n`);
    return 0;
  } finally {
    await admin.close();
  }
}
