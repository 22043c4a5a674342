// kafka-reassign-partitions.sh's files and proposals: the topics-to-move JSON
// ({"topics": [{"topic": "foo"}], "version": 1}), the reassignment JSON
// ({"version": 1, "partitions": [{"topic": "foo", "partition": 0, "replicas": [1, 2], "log_dirs": ["any", "any"]}]}),
// and --generate's placement (Kafka's AdminUtils.assignReplicasToBrokersRackUnaware: round-robin
// first replicas, followers at a shift that grows every full round). Bad files get a UsageError
// naming the file, the entry and what is allowed.
import { UsageError } from "../options.js";

export interface PartitionAssignment {
  topic: string;
  partition: number;
  replicas: number[];
}

const REASSIGNMENT_EXAMPLE =
  '{"version": 1, "partitions": [{"topic": "foo", "partition": 0, "replicas": [1, 2], "log_dirs": ["any", "any"]}]}';
const TOPICS_EXAMPLE = '{"topics": [{"topic": "foo"}], "version": 1}';

function parse(text: string, file: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new UsageError(`${file} is not a JSON object`);
  const version = (json as { version?: unknown }).version;
  if (version !== undefined && version !== 1) {
    throw new UsageError(`${file}: not supported version field value ${JSON.stringify(version)}; only 1 is`);
  }
  return json as Record<string, unknown>;
}

const isBrokerId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Kafka's parseTopicsData: the topics named, no duplicates. */
export function parseTopicsToMove(text: string, file: string): string[] {
  const topics = parse(text, file).topics;
  if (!Array.isArray(topics)) throw new UsageError(`${file} is missing the "topics" array, e.g. ${TOPICS_EXAMPLE}`);
  const names = topics.map((t: unknown, i) => {
    const topic = (t as { topic?: unknown } | null)?.topic;
    if (typeof topic !== "string" || topic === "") {
      throw new UsageError(`${file}: topics[${i}] must be {"topic": "<name>"}, got ${JSON.stringify(t)}`);
    }
    return topic;
  });
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicates.length > 0) {
    throw new UsageError(
      `List of topics to reassign contains duplicate entries: ${[...new Set(duplicates)].join(",")}`,
    );
  }
  return names;
}

function parseEntry(p: unknown, i: number, file: string): PartitionAssignment {
  const { topic, partition, replicas, log_dirs: logDirs } = (p ?? {}) as Record<string, unknown>;
  if (typeof topic !== "string" || topic === "" || !isBrokerId(partition) || !Array.isArray(replicas)) {
    throw new UsageError(
      `${file}: partitions[${i}] must be {"topic": "<name>", "partition": <integer >= 0>, "replicas": [<broker ids>]}, got ${JSON.stringify(p)}`,
    );
  }
  const name = `${topic}-${partition}`;
  if (replicas.length === 0) throw new UsageError(`${file}: partition ${name} has an empty replica list`);
  if (!replicas.every(isBrokerId)) {
    throw new UsageError(
      `${file}: partition ${name}: replicas must be broker ids (integers >= 0), got ${JSON.stringify(replicas)}`,
    );
  }
  const dup = replicas.find((r, j) => replicas.indexOf(r) !== j);
  if (dup !== undefined) {
    throw new UsageError(
      `Partition replica lists may not contain duplicate entries: ${name} contains broker ${dup} twice`,
    );
  }
  if (logDirs !== undefined) {
    if (!Array.isArray(logDirs) || logDirs.length !== replicas.length) {
      throw new UsageError(`${file}: partition ${name}: log_dirs must list one entry per replica (${replicas.length})`);
    }
    if (logDirs.some((d) => d !== "any")) {
      throw new UsageError(
        `${file}: partition ${name}: only "any" log dirs are supported (moves between log dirs are not)`,
      );
    }
  }
  return { topic, partition, replicas: replicas as number[] };
}

/** Kafka's parsePartitionReassignmentData: non-empty, each partition once, replicas without duplicates. */
export function parseReassignment(text: string, file: string): PartitionAssignment[] {
  const partitions = parse(text, file).partitions;
  if (!Array.isArray(partitions)) {
    throw new UsageError(`${file} is missing the "partitions" array, e.g. ${REASSIGNMENT_EXAMPLE}`);
  }
  if (partitions.length === 0) throw new UsageError(`${file}: the partition reassignment list is empty`);
  const out = partitions.map((p: unknown, i) => parseEntry(p, i, file));
  const names = out.map((p) => `${p.topic}-${p.partition}`);
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicates.length > 0) {
    throw new UsageError(
      `Partition reassignment contains duplicate topic partitions: ${[...new Set(duplicates)].join(",")}`,
    );
  }
  return out;
}

/** The reassignment JSON Kafka prints (compact, "any" log dirs), partitions sorted by topic and partition. */
export function formatReassignment(partitions: readonly PartitionAssignment[]): string {
  const sorted = [...partitions].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
  return JSON.stringify({
    version: 1,
    partitions: sorted.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      replicas: p.replicas,
      log_dirs: p.replicas.map(() => "any"),
    })),
  });
}

/** `--broker-list 1,2,3`: distinct broker ids. */
export function parseBrokerList(v: string): number[] {
  const ids = v.split(",").map((s) => s.trim());
  for (const id of ids) {
    if (!/^\d+$/.test(id))
      throw new UsageError(`--broker-list must be broker ids separated by commas (e.g. 1,2,3), got '${v}'`);
  }
  const nums = ids.map(Number);
  const dup = nums.filter((n, i) => nums.indexOf(n) !== i);
  if (dup.length > 0) throw new UsageError(`Broker list contains duplicate entries: ${[...new Set(dup)].join(",")}`);
  return nums;
}

/**
 * Kafka's assignReplicasToBrokersRackUnaware for one topic: partition p's first replica is
 * brokers[(p + start) % n]; the others follow at a shift that grows by one every n partitions.
 * `start` is Kafka's random start index (fixed here so a proposal is reproducible).
 */
export function proposeAssignment(
  topic: string,
  partitions: number,
  replicationFactor: number,
  brokers: readonly number[],
  start = 0,
): PartitionAssignment[] {
  const n = brokers.length;
  if (replicationFactor > n) {
    throw new UsageError(
      `Replication factor: ${replicationFactor} larger than available brokers: ${n} (topic ${topic}; --broker-list ${brokers.join(",")})`,
    );
  }
  const out: PartitionAssignment[] = [];
  let shift = start;
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    }
    out.push({ topic, partition: p, replicas });
  }
  return out;
}
