// gregor storage (bin/kafka-storage.sh): random-uuid, format, info — Kafka's storage tool on a
// node's server.properties. Nothing here talks to a broker: it reads and writes meta.properties in
// the node's log dirs. Failures print Kafka's one-line message and exit 1.
// @gregor/broker (and with it storage, raft, pino, msgpackr) is loaded only when a storage action
// runs: a static import would make every `gregor` command pay for loading the whole broker.
import type { BrokerConfig } from "@gregor/broker";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { listOption, type Tool } from "../options.js";

interface ConfigOpts {
  config: string;
  override?: string[];
}

interface FormatOpts extends ConfigOpts {
  clusterId: string;
  ignoreFormatted?: boolean;
  standalone?: boolean;
}

type BrokerModule = typeof import("@gregor/broker");

/** Kafka's failures are one line on stderr and exit code 1; anything else is a bug and propagates. */
async function terse(io: Io, body: (broker: BrokerModule) => Promise<number>): Promise<number> {
  const broker = await import("@gregor/broker");
  try {
    return await body(broker);
  } catch (e) {
    if (e instanceof broker.StorageError || e instanceof broker.ConfigError) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function loadConfig({ loadBrokerConfig, StorageError }: BrokerModule, opts: ConfigOpts): BrokerConfig {
  try {
    return loadBrokerConfig({ file: opts.config, env: process.env, overrides: opts.override ?? [] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
    throw new StorageError(`Unable to read the configuration file ${opts.config}: ${(e as Error).message}`);
  }
}

/** --standalone: this node alone is the new quorum, so it must be a controller and the only voter. */
function checkStandalone({ hasRole, parseQuorumVoters, StorageError }: BrokerModule, config: BrokerConfig): void {
  const nodeId = config["node.id"];
  if (!hasRole(config, "controller")) {
    throw new StorageError(`--standalone needs the controller role (process.roles=${config["process.roles"]})`);
  }
  const others = parseQuorumVoters(config).filter((v) => v.id !== nodeId);
  if (others.length > 0) {
    throw new StorageError(
      `--standalone makes node ${nodeId} the only voter, but controller.quorum.voters=${config["controller.quorum.voters"]} lists other voters: format every voter without --standalone`,
    );
  }
}

async function format(cmd: Command, io: Io): Promise<number> {
  const opts = cmd.opts<FormatOpts>();
  return terse(io, async (broker) => {
    const { formatStorage, logDirs, metadataLogDir, METADATA_VERSION } = broker;
    const config = loadConfig(broker, opts);
    if (opts.standalone === true) checkStandalone(broker, config);
    const result = await formatStorage({
      dirs: logDirs(config),
      metadataLogDir: metadataLogDir(config),
      clusterId: opts.clusterId,
      nodeId: config["node.id"],
      ignoreFormatted: opts.ignoreFormatted === true,
    });
    if (result.formatted.length === 0) io.out("All of the log directories are already formatted.\n");
    for (const dir of result.formatted) {
      const kind = !dir.metadata ? "data" : opts.standalone === true ? "dynamic metadata voter" : "metadata";
      io.out(`Formatting ${kind} directory ${dir.dir} with metadata.version ${METADATA_VERSION}.\n`);
    }
    return 0;
  });
}

async function info(cmd: Command, io: Io): Promise<number> {
  const opts = cmd.opts<ConfigOpts>();
  return terse(io, async (broker) => {
    const { storageInfo, storageDirs, describeMetaProperties } = broker;
    const result = await storageInfo(storageDirs(loadConfig(broker, opts)));
    if (result.found.length > 0) {
      io.out(`Found log director${result.found.length === 1 ? "y" : "ies"}:\n`);
      for (const dir of result.found) io.out(`  ${dir}\n`);
      io.out("\n");
    }
    if (result.metadata !== null) io.out(`Found metadata: ${describeMetaProperties(result.metadata)}\n\n`);
    if (result.problems.length === 0) return 0;
    io.out(`Found problem${result.problems.length === 1 ? "" : "s"}:\n`);
    for (const problem of result.problems) io.out(`  ${problem}\n`);
    io.out("\n");
    return 1;
  });
}

function configOptions(cmd: Command): void {
  cmd
    .requiredOption("-c, --config <server.properties>", "REQUIRED: the node's configuration file.")
    .addOption(listOption("--override <key=value>", "A configuration value that overrides the file's"));
}

const randomUuidTool: Tool = {
  name: "random-uuid",
  summary: "print a random UUID (a cluster id)",
  description: "Print a random Kafka-style UUID: 22 characters of base64url, for `format -t`.",
  bootstrap: false,
  run: async (_cmd, io) => {
    const { randomUuid } = await import("@gregor/broker");
    io.out(`${randomUuid()}\n`);
    return 0;
  },
};

const formatTool: Tool = {
  name: "format",
  summary: "format the node's log directories",
  description:
    "Write meta.properties (cluster.id, node.id, a new directory.id) in every log directory of the node (log.dirs and metadata.log.dir). Run it on every node of a cluster, with one cluster id, before its first start.",
  examples: [
    'bin/kafka-storage.sh format -t "$(bin/kafka-storage.sh random-uuid)" -c config/server.properties',
    "bin/kafka-storage.sh format -t <cluster-id> -c config/server.properties --override node.id=2 --ignore-formatted",
  ],
  bootstrap: false,
  options: (cmd) => {
    configOptions(cmd);
    cmd
      .requiredOption("-t, --cluster-id <cluster-id>", "REQUIRED: the cluster id (bin/kafka-storage.sh random-uuid).")
      .option("-g, --ignore-formatted", "Skip directories that are already formatted instead of failing.")
      .option("-s, --standalone", "This node alone is the controller quorum (a single-node cluster).");
  },
  run: format,
};

const infoTool: Tool = {
  name: "info",
  summary: "show what the node's log directories hold",
  description: "Print the log directories of the node, their meta.properties, and what is wrong with them.",
  examples: ["bin/kafka-storage.sh info -c config/server.properties"],
  bootstrap: false,
  options: configOptions,
  run: info,
};

export const storageTool: Tool = {
  name: "storage",
  summary: "format and inspect a node's log directories (kafka-storage.sh)",
  description: "Kafka's storage tool: random-uuid, format, info. Works on files only, no broker needed.",
  tools: [randomUuidTool, formatTool, infoTool],
};
