// gregor reassign-partitions (kafka-reassign-partitions.sh): move partition replicas between
// brokers (KIP-455: AlterPartitionReassignments 45, ListPartitionReassignments 46).
//   --generate  propose an assignment of --topics-to-move-json-file over --broker-list
//   --execute   start the moves of --reassignment-json-file (prints the current assignment for rollback)
//   --verify    report each partition of the file: completed or still in progress
//   --cancel    revert the moves of the file still in progress
//   --list      every reassignment in progress
// Output lines as Kafka's ReassignPartitionsCommand; any failed partition makes the exit code 1.
import { readFile } from "node:fs/promises";
import { Admin, KafkaProtocolError } from "@gregor/client";
import {
  type AlterPartitionReassignmentsResponse,
  ApiKey,
  ErrorCode,
  type ListPartitionReassignmentsResponse,
} from "@gregor/protocol";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, intOption, oneOf, type Tool, UsageError } from "../options.js";
import {
  formatReassignment,
  type PartitionAssignment,
  parseBrokerList,
  parseReassignment,
  parseTopicsToMove,
  proposeAssignment,
} from "./reassign-json.js";

interface ReassignOpts extends BootstrapOpts {
  generate?: boolean;
  execute?: boolean;
  verify?: boolean;
  cancel?: boolean;
  list?: boolean;
  topicsToMoveJsonFile?: string;
  brokerList?: string;
  reassignmentJsonFile?: string;
  throttle?: number;
  replicaAlterLogDirsThrottle?: number;
  additional?: boolean;
  preserveThrottles?: boolean;
  timeout?: number;
}

const ACTIONS = ["--generate", "--execute", "--verify", "--cancel", "--list"] as const;

export const reassignPartitionsTool: Tool = {
  name: "reassign-partitions",
  summary: "move partition replicas between brokers (kafka-reassign-partitions.sh)",
  description:
    "Move partition replicas between brokers: new replicas are added, catch up and join the ISR, then the replicas being removed are dropped (KIP-455). Exactly one action: --generate a proposal, --execute a reassignment file, --verify its progress, --cancel it, or --list the moves in progress.",
  examples: [
    "gregor reassign-partitions --bootstrap-server localhost:9092 --generate --topics-to-move-json-file topics.json --broker-list 1,2,3,4",
    "gregor reassign-partitions --bootstrap-server localhost:9092 --execute --reassignment-json-file moves.json",
    "bin/kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --verify --reassignment-json-file moves.json",
    "bin/kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --list",
  ],
  options: (cmd) =>
    cmd
      .option("--generate", "Propose an assignment of the topics in --topics-to-move-json-file over --broker-list.")
      .option("--execute", "Start the reassignment in --reassignment-json-file.")
      .option("--verify", "Show whether each reassignment in --reassignment-json-file is complete.")
      .option("--cancel", "Cancel the reassignments in --reassignment-json-file that are still in progress.")
      .option("--list", "List every partition reassignment in progress.")
      .option("--topics-to-move-json-file <file>", 'With --generate: {"topics": [{"topic": "foo"}], "version": 1}.')
      .option("--broker-list <ids>", "With --generate: the brokers to place replicas on, e.g. 1,2,3.")
      .option(
        "--reassignment-json-file <file>",
        'With --execute, --verify, --cancel: {"version": 1, "partitions": [{"topic": "foo", "partition": 0, "replicas": [1, 2]}]}.',
      )
      .option("--additional", "With --execute: start it even though other reassignments are in progress.")
      .addOption(intOption("--throttle <bytes/s>", "With --execute: accepted for Kafka compatibility; not applied."))
      .addOption(
        intOption("--replica-alter-log-dirs-throttle <bytes/s>", "Accepted for Kafka compatibility; not applied."),
      )
      .option("--preserve-throttles", "With --verify or --cancel: accepted for Kafka compatibility.")
      .addOption(intOption("--timeout <ms>", "How long a request may wait for the cluster (default 30000).")),
  run: reassignPartitionsCommand,
};

async function readJson(file: string | undefined, flag: string, action: string): Promise<[string, string]> {
  if (file === undefined) throw new UsageError(`${action} needs ${flag} <file>`);
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${flag} ${file}: ${e.code ?? e.message}`);
  });
  return [text, file];
}

/** Current replicas of the named partitions (Metadata); a missing topic or partition is an error. */
async function currentAssignment(admin: Admin, parts: readonly { topic: string; partition: number }[]) {
  const topics = [...new Set(parts.map((p) => p.topic))];
  const described = await admin.describeTopics(topics).catch((e: unknown) => {
    if (e instanceof KafkaProtocolError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw new UsageError(`Unable to find topic: ${e.message.replace(/^.*topic /, "")}`);
    }
    throw e;
  });
  const byTopic = new Map(described.map((t) => [t.name, t]));
  return parts.map(({ topic, partition }) => {
    const p = byTopic.get(topic)?.partitions[partition];
    if (p === undefined) throw new UsageError(`Unable to find partition: ${topic}-${partition}`);
    return { topic, partition, replicas: [...p.replicas] };
  });
}

async function ongoing(admin: Admin, timeoutMs: number): Promise<ListPartitionReassignmentsResponse> {
  const c = await admin.cluster.anyBroker();
  const res = await c.request<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, {
    timeoutMs,
    topics: null,
  });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, res.errorMessage);
  return res;
}

/** Sends the targets (null = cancel); the partitions that failed, with Kafka's error text. */
async function alter(
  admin: Admin,
  targets: readonly { topic: string; partition: number; replicas: number[] | null }[],
  timeoutMs: number,
): Promise<string[]> {
  const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
  for (const t of targets) {
    byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), { partitionIndex: t.partition, replicas: t.replicas }]);
  }
  const c = await admin.cluster.anyBroker();
  const res = await c.request<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, {
    timeoutMs,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, res.errorMessage);
  return res.responses.flatMap((t) =>
    t.partitions
      .filter((p) => p.errorCode !== ErrorCode.NONE)
      .map((p) => `${t.name}-${p.partitionIndex}: ${new KafkaProtocolError(p.errorCode, p.errorMessage).message}`),
  );
}

async function generate(admin: Admin, o: ReassignOpts, io: Io): Promise<number> {
  const topics = parseTopicsToMove(
    ...(await readJson(o.topicsToMoveJsonFile, "--topics-to-move-json-file", "--generate")),
  );
  if (o.brokerList === undefined) throw new UsageError("--generate needs --broker-list <ids>");
  const brokers = parseBrokerList(o.brokerList);
  const known = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
  const unknown = brokers.filter((b) => !known.has(b));
  if (unknown.length > 0) {
    throw new UsageError(
      `--broker-list names brokers that are not in the cluster: ${unknown.join(",")} (brokers: ${[...known].sort((a, b) => a - b).join(",")})`,
    );
  }
  const described = await admin.describeTopics(topics).catch((e: unknown) => {
    throw e instanceof KafkaProtocolError
      ? new UsageError(`Unable to find topic: ${e.message.replace(/^.*topic /, "")}`)
      : e;
  });
  const current: PartitionAssignment[] = [];
  const proposed: PartitionAssignment[] = [];
  for (const t of described) {
    const parts = t.partitions.filter((p) => p !== undefined);
    for (const p of parts) current.push({ topic: t.name, partition: p.partition, replicas: [...p.replicas] });
    const rf = parts[0]?.replicas.length ?? 1;
    proposed.push(...proposeAssignment(t.name, parts.length, rf, brokers));
  }
  io.out(`Current partition replica assignment\n${formatReassignment(current)}\n\n`);
  io.out(`Proposed partition reassignment configuration\n${formatReassignment(proposed)}\n`);
  return 0;
}

async function execute(admin: Admin, o: ReassignOpts, io: Io, timeoutMs: number): Promise<number> {
  const moves = parseReassignment(...(await readJson(o.reassignmentJsonFile, "--reassignment-json-file", "--execute")));
  const inProgress = (await ongoing(admin, timeoutMs)).topics.length > 0;
  if (inProgress && o.additional !== true) {
    throw new UsageError(
      "Cannot execute because there is an existing partition assignment. Use --additional to override this and create a new partition assignment in addition to the existing one.",
    );
  }
  const current = await currentAssignment(admin, moves);
  io.out(`Current partition replica assignment\n\n${formatReassignment(current)}\n\n`);
  io.out("Save this to use as the --reassignment-json-file option during rollback\n");
  if (o.throttle !== undefined || o.replicaAlterLogDirsThrottle !== undefined) {
    io.out("Warning: Gregor has no replication quotas yet; the throttle is accepted and not applied.\n");
  }
  const failed = await alter(admin, moves, timeoutMs);
  const names = (ps: readonly PartitionAssignment[]) => ps.map((p) => `${p.topic}-${p.partition}`);
  const ok = names(moves).filter((n) => !failed.some((f) => f.startsWith(`${n}: `)));
  if (ok.length > 0)
    io.out(`Successfully started partition reassignment${ok.length > 1 ? "s" : ""} for ${ok.join(",")}\n`);
  if (failed.length > 0) {
    io.out(`Error reassigning partition(s):\n${failed.join("\n")}\n`);
    throw new Error(`${failed.length} partition reassignment(s) could not be started`);
  }
  return 0;
}

async function verify(admin: Admin, o: ReassignOpts, io: Io, timeoutMs: number): Promise<number> {
  const moves = parseReassignment(...(await readJson(o.reassignmentJsonFile, "--reassignment-json-file", "--verify")));
  const moving = new Set(
    (await ongoing(admin, timeoutMs)).topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}`)),
  );
  const current = await currentAssignment(admin, moves);
  io.out("Status of partition reassignment:\n");
  let done = 0;
  moves.forEach((m, i) => {
    const name = `${m.topic}-${m.partition}`;
    const now = current[i]!.replicas;
    if (moving.has(name)) io.out(`Reassignment of partition ${name} is still in progress.\n`);
    else if (now.length === m.replicas.length && now.every((r, j) => r === m.replicas[j])) {
      done++;
      io.out(`Reassignment of partition ${name} is completed.\n`);
    } else {
      io.out(
        `There is no active reassignment of partition ${name}, but replica set is ${now.join(",")} rather than ${m.replicas.join(",")}.\n`,
      );
    }
  });
  io.out(`\nProgress: ${done} of ${moves.length} partition reassignment(s) completed.\n`);
  return 0;
}

async function cancel(admin: Admin, o: ReassignOpts, io: Io, timeoutMs: number): Promise<number> {
  const moves = parseReassignment(...(await readJson(o.reassignmentJsonFile, "--reassignment-json-file", "--cancel")));
  const failed = await alter(
    admin,
    moves.map((m) => ({ ...m, replicas: null })),
    timeoutMs,
  );
  if (failed.length > 0) {
    io.out(`Error cancelling partition reassignment(s):\n${failed.join("\n")}\n`);
    throw new Error(`${failed.length} partition reassignment(s) could not be cancelled`);
  }
  io.out(
    `Successfully cancelled partition reassignments for: ${moves.map((m) => `${m.topic}-${m.partition}`).join(",")}\n`,
  );
  return 0;
}

async function list(admin: Admin, io: Io, timeoutMs: number): Promise<number> {
  const res = await ongoing(admin, timeoutMs);
  const lines = res.topics
    .flatMap((t) =>
      t.partitions.map(
        (p) =>
          `${t.name}-${p.partitionIndex}: replicas: ${p.replicas.join(",")}.${p.addingReplicas.length > 0 ? ` adding: ${p.addingReplicas.join(",")}.` : ""}${p.removingReplicas.length > 0 ? ` removing: ${p.removingReplicas.join(",")}.` : ""}`,
      ),
    )
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  io.out(
    lines.length === 0
      ? "No partition reassignments found.\n"
      : `Current partition reassignments:\n${lines.map((l) => `${l}\n`).join("")}`,
  );
  return 0;
}

async function reassignPartitionsCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<ReassignOpts>();
  const action = oneOf(o, ACTIONS, `exactly one of ${ACTIONS.join(", ")} is required`);
  if (action !== "--generate" && (o.topicsToMoveJsonFile !== undefined || o.brokerList !== undefined)) {
    throw new UsageError("--topics-to-move-json-file and --broker-list are only allowed with --generate");
  }
  if (action !== "--execute" && (o.throttle !== undefined || o.additional !== undefined)) {
    throw new UsageError("--throttle and --additional are only allowed with --execute");
  }
  if ((action === "--generate" || action === "--list") && o.reassignmentJsonFile !== undefined) {
    throw new UsageError(`--reassignment-json-file is not allowed with ${action}`);
  }
  if (o.timeout !== undefined && o.timeout < 0)
    throw new UsageError(`option '--timeout' must be >= 0, got ${o.timeout}`);
  const timeoutMs = o.timeout ?? 30_000;
  const admin = new Admin({ bootstrapBrokers: o.bootstrapServer, clientId: "gregor-reassign-partitions" });
  try {
    switch (action) {
      case "--generate":
        return await generate(admin, o, io);
      case "--execute":
        return await execute(admin, o, io, timeoutMs);
      case "--verify":
        return await verify(admin, o, io, timeoutMs);
      case "--cancel":
        return await cancel(admin, o, io, timeoutMs);
      default:
        return await list(admin, io, timeoutMs);
    }
  } finally {
    await admin.close();
  }
}
