// gregor metadata-quorum (kafka-metadata-quorum.sh): `describe --status` and `describe --replication`
// of the KRaft metadata quorum, from DescribeQuorum (API 55, KIP-595; timestamps KIP-836, nodes and
// directory ids KIP-853), in the layout of Kafka's tool.
import { Admin, KafkaProtocolError } from "@gregor/client";
import { ApiKey, type DescribeQuorumResponse, type DescribeQuorumResponseReplicaState } from "@gregor/protocol";
import { Argument, type Command } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, oneOf, type Tool } from "../options.js";

interface QuorumOpts extends BootstrapOpts {
  status?: boolean;
  replication?: boolean;
  humanReadable?: boolean;
}

const METADATA_TOPIC = "__cluster_metadata";
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

export const metadataQuorumTool: Tool = {
  name: "metadata-quorum",
  summary: "describe the KRaft metadata quorum (kafka-metadata-quorum.sh)",
  description:
    "Describe the metadata quorum: its leader (the active controller), epoch, high watermark and voters (--status), or every voter's and observer's log end offset and lag (--replication).",
  examples: [
    "gregor metadata-quorum --bootstrap-server localhost:9092 describe --status",
    "gregor metadata-quorum --bootstrap-server localhost:9092 describe --replication",
    "bin/kafka-metadata-quorum.sh --bootstrap-server localhost:9092 describe --replication --human-readable",
  ],
  options: (cmd) =>
    cmd
      .addArgument(new Argument("<command>", "what to do").choices(["describe"]))
      .option("--status", "With describe: the quorum's leader, epoch, high watermark, lag, voters and observers.")
      .option("--replication", "With describe: each replica's log end offset, lag, fetch and catch-up times.")
      .option("--human-readable", "With --replication: times as how long ago, not epoch milliseconds."),
  run: metadataQuorumCommand,
};

/** The quorum as the tool prints it: DescribeQuorum's partition data plus the voters' endpoints. */
interface Quorum {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  voters: DescribeQuorumResponseReplicaState[];
  observers: DescribeQuorumResponseReplicaState[];
  endpoints: Map<number, string[]>;
}

async function describeQuorum(admin: Admin): Promise<Quorum> {
  const c = await admin.cluster.anyBroker();
  const res = await c.request<DescribeQuorumResponse>(ApiKey.DescribeQuorum, {
    topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }],
  });
  if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, res.errorMessage ?? "DescribeQuorum");
  const p = res.topics.find((t) => t.topicName === METADATA_TOPIC)?.partitions[0];
  if (p === undefined) throw new Error(`the broker's DescribeQuorum answer has no ${METADATA_TOPIC}-0`);
  if (p.errorCode !== 0) throw new KafkaProtocolError(p.errorCode, p.errorMessage ?? `${METADATA_TOPIC}-0`);
  const endpoints = new Map<number, string[]>();
  for (const n of res.nodes ?? [])
    endpoints.set(
      n.nodeId,
      n.listeners.map((l) => `${l.name}://${l.host}:${l.port}`),
    );
  return { ...p, voters: p.currentVoters, observers: p.observers, endpoints };
}

function leaderOf(q: Quorum): DescribeQuorumResponseReplicaState | undefined {
  return q.voters.find((v) => v.replicaId === q.leaderId);
}

function directoryId(r: DescribeQuorumResponseReplicaState): string | null {
  return r.replicaDirectoryId === undefined || r.replicaDirectoryId === ZERO_UUID ? null : r.replicaDirectoryId;
}

function voterJson(q: Quorum, r: DescribeQuorumResponseReplicaState): string {
  const dir = directoryId(r);
  const endpoints = (q.endpoints.get(r.replicaId) ?? []).map((e) => `"${e}"`).join(", ");
  return `{"id": ${r.replicaId}, "directoryId": ${dir === null ? "null" : `"${dir}"`}, "endpoints": [${endpoints}]}`;
}

function observerJson(r: DescribeQuorumResponseReplicaState): string {
  const dir = directoryId(r);
  return `{"id": ${r.replicaId}, "directoryId": ${dir === null ? "null" : `"${dir}"`}}`;
}

/** Kafka's MaxFollowerLag / MaxFollowerLagTimeMs: the voter furthest behind the leader. */
function maxFollowerLag(q: Quorum): { lag: bigint; lagTimeMs: bigint } {
  const leader = leaderOf(q);
  if (leader === undefined || q.voters.length === 0) return { lag: -1n, lagTimeMs: -1n };
  const furthest = q.voters.reduce((a, b) => (b.logEndOffset < a.logEndOffset ? b : a));
  if (furthest === leader) return { lag: 0n, lagTimeMs: 0n };
  const caughtUp = furthest.lastCaughtUpTimestamp;
  const leaderTime = leader.lastCaughtUpTimestamp;
  const lagTimeMs = caughtUp === undefined || leaderTime === undefined || caughtUp < 0n ? -1n : leaderTime - caughtUp;
  return { lag: leader.logEndOffset - furthest.logEndOffset, lagTimeMs };
}

function statusText(clusterId: string | null, q: Quorum): string {
  const { lag, lagTimeMs } = maxFollowerLag(q);
  const rows: [string, string][] = [
    ["ClusterId", clusterId ?? "null"],
    ["LeaderId", String(q.leaderId)],
    ["LeaderEpoch", String(q.leaderEpoch)],
    ["HighWatermark", String(q.highWatermark)],
    ["MaxFollowerLag", String(lag)],
    ["MaxFollowerLagTimeMs", String(lagTimeMs)],
    ["CurrentVoters", `[${q.voters.map((v) => voterJson(q, v)).join(", ")}]`],
    ["CurrentObservers", `[${q.observers.map(observerJson).join(", ")}]`],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(24)}${v}\n`).join("");
}

function timeText(ms: bigint | undefined, humanReadable: boolean, nowMs: number): string {
  if (ms === undefined || ms < 0n) return humanReadable ? "unknown" : "-1";
  return humanReadable ? `${Math.max(0, nowMs - Number(ms))} ms ago` : String(ms);
}

/** Kafka's replication table: leader first, then the other voters, then observers; columns padded. */
function replicationText(q: Quorum, humanReadable: boolean, nowMs: number): string {
  const leaderLeo = leaderOf(q)?.logEndOffset ?? 0n;
  const ordered = [
    ...q.voters.filter((v) => v.replicaId === q.leaderId).map((r) => [r, "Leader"] as const),
    ...q.voters.filter((v) => v.replicaId !== q.leaderId).map((r) => [r, "Follower"] as const),
    ...q.observers.map((r) => [r, "Observer"] as const),
  ];
  const header = ["NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"];
  const rows = ordered.map(([r, status]) => [
    String(r.replicaId),
    String(r.logEndOffset),
    String(leaderLeo > r.logEndOffset ? leaderLeo - r.logEndOffset : 0n),
    timeText(r.lastFetchTimestamp, humanReadable, nowMs),
    timeText(r.lastCaughtUpTimestamp, humanReadable, nowMs),
    status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join("\t")
          .trimEnd()}\n`,
    )
    .join("");
}

async function metadataQuorumCommand(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<QuorumOpts>();
  const what = oneOf(o, ["--status", "--replication"], "describe needs exactly one of --status, --replication");
  const admin = new Admin({
    bootstrapBrokers: o.bootstrapServer,
    clientId: "gregor-metadata-quorum",
    retry: { retries: 3 },
  });
  try {
    const quorum = await describeQuorum(admin);
    if (what === "--status") {
      const { clusterId } = await admin.describeCluster();
      io.out(statusText(clusterId, quorum));
    } else io.out(replicationText(quorum, o.humanReadable === true, Date.now()));
    return 0;
  } finally {
    await admin.close();
  }
}
