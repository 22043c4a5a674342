// gregor groups (kafka-consumer-groups.sh): --list, --describe, --reset-offsets, --delete.
import { Admin, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type CommittedOffset } from "@gregor/client";
import { BOOTSTRAP, HELP, UsageError, bootstrapOf, parseArgs, usage, type FlagSpec } from "../args.js";
import type { Io } from "../io.js";

const SPECS: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--list", desc: "List all consumer groups." },
  { flag: "--describe", desc: "Describe a group: per partition current offset, log end offset, lag, member and host." },
  { flag: "--members", desc: "With --describe: list the members instead of offsets." },
  { flag: "--state", desc: "With --describe: print the group state." },
  { flag: "--delete", desc: "Delete a group (it must have no active members)." },
  { flag: "--reset-offsets", desc: "Reset a group's offsets (dry run unless --execute)." },
  { flag: "--group", arg: "<group>", desc: "The consumer group." },
  { flag: "--all-groups", desc: "Apply to all groups." },
  { flag: "--topic", arg: "<topic[:p,p]>", desc: "With --reset-offsets: the topic (optionally some partitions).", repeatable: true },
  { flag: "--all-topics", desc: "With --reset-offsets: every topic the group has offsets for." },
  { flag: "--to-earliest", desc: "Reset to the earliest offset." },
  { flag: "--to-latest", desc: "Reset to the latest offset." },
  { flag: "--to-offset", arg: "<n>", desc: "Reset to this offset." },
  { flag: "--to-datetime", arg: "<YYYY-MM-DDTHH:mm:SS.sss>", desc: "Reset to the first offset at or after this time." },
  { flag: "--shift-by", arg: "<n>", desc: "Move the current offset by n (may be negative)." },
  { flag: "--execute", desc: "Apply the reset." },
  { flag: "--dry-run", desc: "Only show the result (the default)." },
  HELP,
];

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 1))).join(" ").trimEnd()).join("\n") + "\n";
}

export async function groupsCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs("groups", SPECS, argv);
  if (a.has("--help")) {
    io.out(usage("groups", "List, describe, reset and delete consumer groups.", SPECS));
    return 0;
  }
  const actions = ["--list", "--describe", "--delete", "--reset-offsets"].filter((f) => a.has(f));
  if (actions.length !== 1) throw new UsageError("exactly one of --list, --describe, --delete, --reset-offsets is required");
  const admin = new Admin({ bootstrapBrokers: bootstrapOf(a), clientId: "gregor-groups", retry: { retries: 3 } });
  try {
    if (a.has("--list")) {
      for (const g of await admin.listGroups()) io.out(`${g.groupId}\n`);
      return 0;
    }
    const groups = a.has("--all-groups") ? (await admin.listGroups()).map((g) => g.groupId) : [a.require("--group")];
    if (a.has("--delete")) {
      for (const g of groups) {
        await admin.deleteGroups([g]);
        io.out(`Deletion of requested consumer groups ('${g}') was successful.\n`);
      }
      return 0;
    }
    if (a.has("--describe")) {
      for (const g of groups) await describe(admin, g, a.has("--members"), a.has("--state"), io);
      return 0;
    }
    for (const g of groups) await reset(admin, g, a, io);
    return 0;
  } finally {
    await admin.close();
  }
}

async function describe(admin: Admin, groupId: string, members: boolean, state: boolean, io: Io): Promise<void> {
  const [d] = await admin.describeGroups([groupId]);
  if (!d) return;
  if (d.state === "Dead") throw new UsageError(`Consumer group '${groupId}' does not exist.`);
  if (state) {
    io.out("\n" + table([["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"], [groupId, "-", d.protocol, d.state, String(d.members.length)]]));
    return;
  }
  if (members) {
    if (d.members.length === 0) io.out(`\nConsumer group '${groupId}' has no active members.\n`);
    const rows = [["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]];
    for (const m of d.members) rows.push([groupId, m.memberId, m.clientHost, m.clientId, String(m.assignment.reduce((n, t) => n + t.partitions.length, 0))]);
    io.out("\n" + table(rows));
    return;
  }
  const committed = await admin.fetchOffsets(groupId);
  const owner = new Map<string, { memberId: string; host: string; clientId: string }>();
  for (const m of d.members) for (const t of m.assignment) for (const p of t.partitions) owner.set(`${t.topic}\0${p}`, { memberId: m.memberId, host: m.clientHost, clientId: m.clientId });
  const keys = new Map<string, { topic: string; partition: number; offset: bigint | null }>();
  for (const c of committed) if (c.offset >= 0n) keys.set(`${c.topic}\0${c.partition}`, { topic: c.topic, partition: c.partition, offset: c.offset });
  for (const k of owner.keys()) if (!keys.has(k)) {
    const [topic, p] = k.split("\0") as [string, string];
    keys.set(k, { topic, partition: Number(p), offset: null });
  }
  if (d.members.length === 0) io.out(`\nConsumer group '${groupId}' has no active members.\n`);
  const entries = [...keys.values()].sort((x, y) => (x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1));
  const ends = entries.length > 0 ? await admin.listOffsets(entries.map((e) => ({ topic: e.topic, partition: e.partition, timestamp: LATEST_TIMESTAMP }))) : [];
  const rows = [["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]];
  for (const e of entries) {
    const end = ends.find((x) => x.topic === e.topic && x.partition === e.partition)?.offset;
    const o = owner.get(`${e.topic}\0${e.partition}`);
    const lag = e.offset !== null && end !== undefined ? String(end - e.offset) : "-";
    rows.push([groupId, e.topic, String(e.partition), e.offset === null ? "-" : String(e.offset), end === undefined ? "-" : String(end), lag, o?.memberId ?? "-", o?.host ?? "-", o?.clientId ?? "-"]);
  }
  io.out("\n" + table(rows));
}

async function reset(admin: Admin, groupId: string, a: ReturnType<typeof parseArgs>, io: Io): Promise<void> {
  const scenarios = ["--to-earliest", "--to-latest", "--to-offset", "--to-datetime", "--shift-by"].filter((f) => a.has(f));
  if (scenarios.length !== 1) throw new UsageError("--reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by");
  const [d] = await admin.describeGroups([groupId]);
  if (d && d.members.length > 0 && a.has("--execute")) throw new UsageError(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.state}.`);
  const committed = await admin.fetchOffsets(groupId);
  let targets: { topic: string; partition: number }[] = [];
  if (a.has("--all-topics")) targets = committed.filter((c) => c.offset >= 0n).map((c) => ({ topic: c.topic, partition: c.partition }));
  else {
    const specs = a.all("--topic");
    if (specs.length === 0) throw new UsageError("--reset-offsets needs --topic <topic> or --all-topics");
    for (const s of specs) {
      const [topic, parts] = s.split(":") as [string, string | undefined];
      if (parts) for (const p of parts.split(",")) targets.push({ topic, partition: Number(p) });
      else {
        const [info] = await admin.describeTopics([topic]);
        for (const p of info!.partitions) targets.push({ topic, partition: p.partition });
      }
    }
  }
  const q = (ts: bigint): Promise<Map<string, bigint>> =>
    admin.listOffsets(targets.map((t) => ({ ...t, timestamp: ts }))).then((r) => new Map(r.map((x) => [`${x.topic}\0${x.partition}`, x.offset])));
  const earliest = await q(EARLIEST_TIMESTAMP);
  const latest = await q(LATEST_TIMESTAMP);
  const clamp = (k: string, o: bigint): bigint => {
    const lo = earliest.get(k) ?? 0n;
    const hi = latest.get(k) ?? o;
    return o < lo ? lo : o > hi ? hi : o;
  };
  let byTime: Map<string, bigint> | null = null;
  if (a.has("--to-datetime")) {
    const t = Date.parse(a.require("--to-datetime"));
    if (Number.isNaN(t)) throw new UsageError(`--to-datetime: cannot parse '${a.get("--to-datetime")}' (use YYYY-MM-DDTHH:mm:SS.sss)`);
    byTime = await q(BigInt(t));
  }
  const out: CommittedOffset[] = targets.map((t) => {
    const k = `${t.topic}\0${t.partition}`;
    let o: bigint;
    if (a.has("--to-earliest")) o = earliest.get(k)!;
    else if (a.has("--to-latest")) o = latest.get(k)!;
    else if (a.has("--to-offset")) o = clamp(k, BigInt(a.int("--to-offset")!));
    else if (byTime) o = (byTime.get(k) ?? -1n) < 0n ? latest.get(k)! : byTime.get(k)!;
    else {
      const cur = committed.find((c) => c.topic === t.topic && c.partition === t.partition)?.offset ?? -1n;
      o = clamp(k, (cur < 0n ? latest.get(k)! : cur) + BigInt(a.int("--shift-by")!));
    }
    return { topic: t.topic, partition: t.partition, offset: o };
  });
  if (a.has("--execute")) await admin.setOffsets(groupId, out);
  const rows = [["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]];
  for (const o of out) rows.push([groupId, o.topic, String(o.partition), String(o.offset)]);
  io.out("\n" + table(rows));
}
