// gregor groups (kafka-consumer-groups.sh): --list, --describe, --reset-offsets, --delete,
// --delete-offsets, with Kafka's tool's flags, tables and messages.
import {
  Admin,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  errorName,
  type CommittedOffset,
  type GroupDescription,
} from "@gregor/client";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, type Tool, UsageError, intOption, listOption, oneOf } from "../options.js";

interface GroupsOpts extends BootstrapOpts {
  list?: boolean;
  describe?: boolean;
  members?: boolean;
  state?: boolean;
  delete?: boolean;
  deleteOffsets?: boolean;
  resetOffsets?: boolean;
  group?: string[];
  allGroups?: boolean;
  topic?: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  toOffset?: number;
  toDatetime?: string;
  byDuration?: string;
  shiftBy?: number;
  execute?: boolean;
  dryRun?: boolean;
}

const ACTIONS = ["--list", "--describe", "--delete", "--delete-offsets", "--reset-offsets"];
const SCENARIOS = [
  "--to-earliest",
  "--to-latest",
  "--to-current",
  "--to-offset",
  "--to-datetime",
  "--by-duration",
  "--shift-by",
];

export const groupsTool: Tool = {
  name: "groups",
  aliases: ["consumer-groups"],
  summary: "list, describe, reset, delete consumer groups (kafka-consumer-groups.sh)",
  description: "List, describe, reset and delete consumer groups (what kafka-consumer-groups.sh does).",
  examples: [
    "gregor groups --bootstrap-server localhost:9092 --list",
    "gregor groups --bootstrap-server localhost:9092 --describe --group readers",
    "gregor groups --bootstrap-server localhost:9092 --reset-offsets --group readers --topic events --to-earliest",
    "gregor groups --bootstrap-server localhost:9092 --reset-offsets --group readers --topic events:0,1 --to-offset 42 --execute",
    "gregor groups --bootstrap-server localhost:9092 --delete-offsets --group readers --topic events",
  ],
  options: (cmd) =>
    cmd
      .option("--list", "List all consumer groups.")
      .option("--describe", "Describe a group: per partition current offset, log end offset, lag, member and host.")
      .option("--members", "With --describe: list the members instead of offsets.")
      .option("--state", "With --describe: print the group state (with --list: show each group's state).")
      .option("--delete", "Delete a group (it must have no active members).")
      .option(
        "--delete-offsets",
        "Delete a group's committed offsets for --topic (the group must not consume that topic).",
      )
      .option("--reset-offsets", "Reset a group's offsets: prints the plan; applies it only with --execute.")
      .addOption(listOption("--group <group>", "The consumer group."))
      .option("--all-groups", "Apply to all groups.")
      .addOption(
        listOption(
          "--topic <topic[:p,p]>",
          "With --reset-offsets / --delete-offsets: the topic, optionally some partitions.",
        ),
      )
      .option("--all-topics", "With --reset-offsets: every topic the group has offsets for.")
      .option("--to-earliest", "Reset to the earliest offset.")
      .option("--to-latest", "Reset to the latest offset.")
      .option("--to-current", "Reset to the current (committed) offset.")
      .addOption(intOption("--to-offset <n>", "Reset to this offset (clamped to the partition's range)."))
      .option(
        "--to-datetime <YYYY-MM-DDTHH:mm:SS.sss>",
        "Reset to the first offset at or after this time (local time unless a zone is given).",
      )
      .option("--by-duration <PnDTnHnMnS>", "Reset to the first offset at or after now minus this ISO-8601 duration.")
      .addOption(intOption("--shift-by <n>", "Move the current offset by n (may be negative)."))
      .option("--execute", "Apply the reset.")
      .option("--dry-run", "Only show the result (the default)."),
  run: groupsCommand,
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 1)))
          .join(" ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

/** `topic` or `topic:0,2` into (topic, partitions | null for all). */
function topicSpec(s: string): { topic: string; partitions: number[] | null } {
  const i = s.lastIndexOf(":");
  if (i < 0) return { topic: s, partitions: null };
  const parts = s.slice(i + 1).split(",");
  for (const p of parts)
    if (!/^\d+$/.test(p)) throw new UsageError(`--topic '${s}': partitions must be integers (topic:0,1,2)`);
  return { topic: s.slice(0, i), partitions: parts.map(Number) };
}

async function groupsCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<GroupsOpts>();
  const action = oneOf(o, ACTIONS);
  if (!o.list && !o.allGroups && (o.group ?? []).length === 0)
    throw new UsageError(`${action} needs --group <group> or --all-groups`);
  const admin = new Admin({ bootstrapBrokers: o.bootstrapServer, clientId: "gregor-groups", retry: { retries: 3 } });
  try {
    if (o.list) {
      const groups = await admin.listGroups();
      if (o.state) io.out(table([["GROUP", "STATE"], ...groups.map((g) => [g.groupId, g.state])]));
      else for (const g of groups) io.out(`${g.groupId}\n`);
      return 0;
    }
    const groups = o.allGroups ? (await admin.listGroups()).map((g) => g.groupId) : (o.group ?? []);
    if (o.delete) return await deleteGroups(admin, groups, io);
    if (o.deleteOffsets) return await deleteOffsets(admin, groups, o, io);
    if (o.describe) {
      for (const g of groups) await describe(admin, g, o.members === true, o.state === true, io);
      return 0;
    }
    for (const g of groups) await reset(admin, g, o, io);
    if (!o.execute && !o.dryRun)
      io.err(
        "WARN: this was a dry run: no offset was changed. Add --execute to apply the reset (or --dry-run to say it is one).\n",
      );
    return 0;
  } finally {
    await admin.close();
  }
}

async function deleteGroups(admin: Admin, groups: readonly string[], io: Io): Promise<number> {
  const failed: string[] = [];
  const ok: string[] = [];
  for (const g of groups) {
    try {
      await admin.deleteGroups([g]);
      ok.push(g);
    } catch (e) {
      const err = e as Error & { type?: string };
      failed.push(`* Group '${g}' could not be deleted due to: ${err.type ?? err.message}`);
    }
  }
  if (ok.length > 0)
    io.out(`Deletion of requested consumer groups (${ok.map((g) => `'${g}'`).join(", ")}) was successful.\n`);
  if (failed.length > 0) {
    io.err(`Deletion of some consumer groups failed:\n${failed.join("\n")}\n`);
    return 1;
  }
  return 0;
}

async function deleteOffsets(admin: Admin, groups: readonly string[], o: GroupsOpts, io: Io): Promise<number> {
  if (groups.length !== 1) throw new UsageError("--delete-offsets takes exactly one --group");
  const groupId = groups[0]!;
  const specs = (o.topic ?? []).map(topicSpec);
  if (specs.length === 0) throw new UsageError("--delete-offsets needs --topic <topic[:p,p]>");
  const tps: { topic: string; partitions: number[] }[] = [];
  for (const s of specs) {
    if (s.partitions) tps.push({ topic: s.topic, partitions: s.partitions });
    else {
      const [info] = await admin.describeTopics([s.topic]);
      tps.push({ topic: s.topic, partitions: info!.partitions.map((p) => p.partition) });
    }
  }
  const results = await admin.deleteOffsets(groupId, tps);
  const failed = results.filter((r) => r.errorCode !== 0);
  io.out(
    failed.length === 0
      ? `Request succeed for deleting offsets with topic ${specs.map((s) => s.topic).join(", ")} group ${groupId}\n`
      : `Encounter some partition level error, see the follow-up details:\n`,
  );
  const rows = [["TOPIC", "PARTITION", "STATUS"]];
  for (const r of results)
    rows.push([r.topic, String(r.partition), r.errorCode === 0 ? "Successful" : `Error: ${errorName(r.errorCode)}`]);
  io.out("\n" + table(rows));
  return failed.length === 0 ? 0 : 1;
}

async function describeOne(admin: Admin, groupId: string): Promise<GroupDescription> {
  const [d] = await admin.describeGroups([groupId]);
  if (!d || d.state === "Dead") throw new UsageError(`Consumer group '${groupId}' does not exist.`);
  return d;
}

async function describe(admin: Admin, groupId: string, members: boolean, state: boolean, io: Io): Promise<void> {
  const d = await describeOne(admin, groupId);
  if (state) {
    io.out(
      "\n" +
        table([
          ["GROUP", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"],
          [groupId, d.protocol || "-", d.state, String(d.members.length)],
        ]),
    );
    return;
  }
  if (members) {
    if (d.members.length === 0) {
      io.out(`\nConsumer group '${groupId}' has no active members.\n`);
      return;
    }
    const rows = [["GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]];
    for (const m of d.members)
      rows.push([
        groupId,
        m.memberId,
        m.groupInstanceId ?? "-",
        m.clientHost,
        m.clientId,
        String(m.assignment.reduce((n, t) => n + t.partitions.length, 0)),
      ]);
    io.out("\n" + table(rows));
    return;
  }
  const committed = await admin.fetchOffsets(groupId);
  const owner = new Map<string, { memberId: string; host: string; clientId: string }>();
  for (const m of d.members)
    for (const t of m.assignment)
      for (const p of t.partitions)
        owner.set(`${t.topic}\0${p}`, { memberId: m.memberId, host: m.clientHost, clientId: m.clientId });
  const keys = new Map<string, { topic: string; partition: number; offset: bigint | null }>();
  for (const c of committed)
    if (c.offset >= 0n)
      keys.set(`${c.topic}\0${c.partition}`, { topic: c.topic, partition: c.partition, offset: c.offset });
  for (const k of owner.keys()) {
    if (keys.has(k)) continue;
    const [topic, p] = k.split("\0") as [string, string];
    keys.set(k, { topic, partition: Number(p), offset: null });
  }
  if (d.members.length === 0) io.out(`\nConsumer group '${groupId}' has no active members.\n`);
  if (keys.size === 0) {
    // An active group that owns nothing and committed nothing: show its members (as Kafka does).
    if (d.members.length > 0)
      io.out(`\nConsumer group '${groupId}' has no committed offsets and no assigned partitions (state ${d.state}).\n`);
    return;
  }
  const entries = [...keys.values()].sort((x, y) =>
    x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1,
  );
  const ends = await admin
    .listOffsets(entries.map((e) => ({ topic: e.topic, partition: e.partition, timestamp: LATEST_TIMESTAMP })))
    .catch(() => []);
  const rows = [
    ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"],
  ];
  for (const e of entries) {
    const end = ends.find((x) => x.topic === e.topic && x.partition === e.partition)?.offset;
    const o = owner.get(`${e.topic}\0${e.partition}`);
    const lag = e.offset !== null && end !== undefined ? String(end - e.offset) : "-";
    rows.push([
      groupId,
      e.topic,
      String(e.partition),
      e.offset === null ? "-" : String(e.offset),
      end === undefined ? "-" : String(end),
      lag,
      o?.memberId ?? "-",
      o?.host ?? "-",
      o?.clientId ?? "-",
    ]);
  }
  io.out("\n" + table(rows));
}

/** ISO-8601 duration (PnDTnHnMnS, as Java's Duration.parse) in milliseconds. */
function durationMs(s: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
  if (!m || s.toUpperCase() === "P" || s.toUpperCase().endsWith("T"))
    throw new UsageError(`--by-duration: cannot parse '${s}' (use PnDTnHnMnS, e.g. PT1H or P1DT30M)`);
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 + Number(m[4] ?? 0) * 1000;
}

async function reset(admin: Admin, groupId: string, o: GroupsOpts, io: Io): Promise<void> {
  const scenario = oneOf(o, SCENARIOS, `--reset-offsets needs exactly one of ${SCENARIOS.join(", ")}`);
  if (o.execute && o.dryRun) throw new UsageError("--execute and --dry-run cannot be used together");
  let timestamp: number | null = null;
  if (o.toDatetime !== undefined) {
    const v = o.toDatetime;
    timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)
      ? Date.parse(v)
      : NaN;
    if (Number.isNaN(timestamp))
      throw new UsageError(
        `--to-datetime: cannot parse '${v}' (use YYYY-MM-DDTHH:mm:SS.sss, optionally with Z or +hh:mm)`,
      );
  }
  if (o.byDuration !== undefined) timestamp = Date.now() - durationMs(o.byDuration);
  const toOffset = o.toOffset ?? 0;
  const shiftBy = o.shiftBy ?? 0;
  const d = await admin.describeGroups([groupId]).then((r) => r[0]);
  if (d && d.members.length > 0)
    throw new UsageError(
      `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.state}.`,
    );
  const committed = await admin.fetchOffsets(groupId);
  const targets: { topic: string; partition: number }[] = [];
  if (o.allTopics) {
    for (const c of committed) if (c.offset >= 0n) targets.push({ topic: c.topic, partition: c.partition });
  } else {
    const specs = (o.topic ?? []).map(topicSpec);
    if (specs.length === 0) throw new UsageError("--reset-offsets needs --topic <topic[:p,p]> or --all-topics");
    for (const s of specs) {
      if (s.partitions) for (const p of s.partitions) targets.push({ topic: s.topic, partition: p });
      else {
        const [info] = await admin.describeTopics([s.topic]);
        for (const p of info!.partitions) targets.push({ topic: s.topic, partition: p.partition });
      }
    }
  }
  const k = (t: { topic: string; partition: number }): string => `${t.topic}\0${t.partition}`;
  const q = async (ts: bigint): Promise<Map<string, bigint>> =>
    targets.length === 0
      ? new Map()
      : new Map((await admin.listOffsets(targets.map((t) => ({ ...t, timestamp: ts })))).map((x) => [k(x), x.offset]));
  const earliest = await q(EARLIEST_TIMESTAMP);
  const latest = await q(LATEST_TIMESTAMP);
  const byTime = timestamp !== null ? await q(BigInt(timestamp)) : null;
  const current = new Map(committed.filter((c) => c.offset >= 0n).map((c) => [k(c), c.offset]));
  const clamp = (key: string, offset: bigint): bigint => {
    const lo = earliest.get(key) ?? 0n;
    const hi = latest.get(key) ?? offset;
    return offset < lo ? lo : offset > hi ? hi : offset;
  };
  const plan: CommittedOffset[] = targets.map((t) => {
    const key = k(t);
    const end = latest.get(key) ?? 0n;
    let offset: bigint;
    if (scenario === "--to-earliest") offset = earliest.get(key) ?? 0n;
    else if (scenario === "--to-latest") offset = end;
    else if (scenario === "--to-current") offset = current.get(key) ?? end;
    else if (scenario === "--to-offset") offset = clamp(key, BigInt(toOffset));
    else if (byTime) {
      const t2 = byTime.get(key) ?? -1n;
      offset = t2 < 0n ? end : t2;
    } else offset = clamp(key, (current.get(key) ?? end) + BigInt(shiftBy));
    return { topic: t.topic, partition: t.partition, offset };
  });
  if (o.execute && plan.length > 0) await admin.setOffsets(groupId, plan);
  const rows = [["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]];
  for (const p of plan) rows.push([groupId, p.topic, String(p.partition), String(p.offset)]);
  io.out("\n" + table(rows));
}
