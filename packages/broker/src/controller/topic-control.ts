// CreateTopics, CreatePartitions and DeleteTopics (Kafka's ReplicationControlManager.createTopic /
// createPartitions / deleteTopic). Placement is placement.ts; topic configs are validated by the
// broker's own topic-config table so a value the broker would refuse never reaches the log.
import { ErrorCode, KafkaError } from "@gregor/protocol";
import { validateTopicConfig } from "../config/topic-config.js";
import { topicNameError } from "../metadata/topic-name.js";
import type { MetadataImage } from "./image.js";
import { placeReplicas, type UsableBroker } from "./placement.js";
import { ConfigResourceType, type MetadataRecord, type PartitionRecord } from "./records.js";
import { acceptableBrokers } from "./replication-control.js";
import type {
  CreatableTopic,
  CreatableTopicResult,
  ControllerResult,
  CreateTopicsRequest,
  CreateTopicsResponse,
} from "./requests.js";

/** Same bound as the single-node topic manager. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;

export interface TopicDefaults {
  numPartitions: number;
  defaultReplicationFactor: number;
}

/** Brokers new replicas may go to: registered, unfenced, not shutting down. */
export function usableBrokers(image: MetadataImage): UsableBroker[] {
  const acceptable = acceptableBrokers(image);
  return [...image.brokers.values()]
    .filter((b) => acceptable(b.brokerId))
    .map((b) => ({ id: b.brokerId, rack: b.rack }));
}

export function replicationFactorError(rf: number, usable: number): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_REPLICATION_FACTOR,
    `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${usable} broker(s) are registered.`,
  );
}

/** Checks manual assignments (--replica-assignment): known brokers, no duplicates, one replication factor. */
export function checkAssignments(image: MetadataImage, assignments: readonly (readonly number[])[], rf?: number): void {
  let expected = rf;
  assignments.forEach((brokerIds, index) => {
    const fail = (message: string) => new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
    if (brokerIds.length === 0) throw fail(`The manual partition assignment includes an empty replica list.`);
    const seen = new Set<number>();
    for (const id of brokerIds) {
      if (!image.brokers.has(id)) {
        throw fail(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
      }
      if (seen.has(id)) throw fail(`The manual partition assignment includes the broker ${id} more than once.`);
      seen.add(id);
    }
    if (expected !== undefined && brokerIds.length !== expected) {
      throw fail(
        `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${expected} replica(s).`,
      );
    }
    expected = brokerIds.length;
    if (!brokerIds.some(acceptableBrokers(image))) {
      throw fail(
        `All brokers specified in the partition assignment for partition ${index} are fenced or in controlled shutdown.`,
      );
    }
  });
}

/** A new partition: ISR = its acceptable replicas, led by the first of them. */
export function newPartition(
  image: MetadataImage,
  topicId: string,
  partitionId: number,
  replicas: number[],
): PartitionRecord {
  const isr = replicas.filter(acceptableBrokers(image));
  return {
    type: "Partition",
    partitionId,
    topicId,
    replicas,
    isr,
    removingReplicas: [],
    addingReplicas: [],
    leader: isr[0] ?? -1,
    leaderRecoveryState: 0,
    leaderEpoch: 0,
    partitionEpoch: 0,
  };
}

/** Replica lists of a new topic, from its manual assignment or from the placer. */
function topicAssignment(
  image: MetadataImage,
  topic: CreatableTopic,
  defaults: TopicDefaults,
  random: () => number,
): number[][] {
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.",
      );
    }
    const sorted = [...topic.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    sorted.forEach((a, i) => {
      if (a.partitionIndex !== i) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          "Partitions should be a consecutive 0-based integer sequence",
        );
      }
    });
    if (sorted.length > MAX_PARTITIONS_PER_TOPIC) throw partitionsError(sorted.length);
    const lists = sorted.map((a) => [...a.brokerIds]);
    checkAssignments(image, lists);
    return lists;
  }
  const numPartitions = topic.numPartitions === -1 ? defaults.numPartitions : topic.numPartitions;
  const rf = topic.replicationFactor === -1 ? defaults.defaultReplicationFactor : topic.replicationFactor;
  if (!Number.isSafeInteger(numPartitions) || numPartitions < 1 || numPartitions > MAX_PARTITIONS_PER_TOPIC) {
    throw partitionsError(numPartitions);
  }
  if (!Number.isSafeInteger(rf) || rf < 1) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      "Replication factor must be larger than 0, or -1 to use the default value.",
    );
  }
  const usable = usableBrokers(image);
  if (rf > usable.length) throw replicationFactorError(rf, usable.length);
  return placeReplicas(usable, { startPartition: 0, numPartitions, replicationFactor: rf }, random);
}

export function partitionsError(numPartitions: number): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_PARTITIONS,
    `Number of partitions must be in [1, ${MAX_PARTITIONS_PER_TOPIC}], got ${numPartitions}.`,
  );
}

function checkTopicConfigs(topic: CreatableTopic): void {
  const seen = new Set<string>();
  for (const c of topic.configs) {
    if (seen.has(c.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Duplicate config name ${c.name}`);
    seen.add(c.name);
    const error = validateTopicConfig(c.name, c.value);
    if (error !== null) throw new KafkaError(ErrorCode.INVALID_CONFIG, error);
  }
}

/** Kafka's Topic.hasCollision: '.' and '_' map to the same metric name, so 'a.b' and 'a_b' cannot both exist. */
function collidingTopic(image: MetadataImage, name: string): string | undefined {
  const key = name.replace(/\./g, "_");
  if (key === name && !name.includes("_")) return undefined;
  for (const existing of image.topics.byName.keys()) {
    if (existing !== name && existing.replace(/\./g, "_") === key) return existing;
  }
  return undefined;
}

/** A random version-4 uuid in canonical form (the form the broker's topic ids already use). */
export function randomUuid(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createTopics(
  image: MetadataImage,
  req: CreateTopicsRequest,
  defaults: TopicDefaults,
  random: () => number,
): ControllerResult<CreateTopicsResponse> {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const usedIds = new Set<string>();
  const records: MetadataRecord[] = [];
  const topics: CreatableTopicResult[] = [];
  for (const topic of req.topics) {
    const base = { name: topic.name, topicId: "", numPartitions: -1, replicationFactor: -1 };
    try {
      if ((counts.get(topic.name) ?? 0) > 1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `Create topics request from client contains duplicate topic name ${topic.name}`,
        );
      }
      const nameError = topicNameError(topic.name);
      if (nameError !== null) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
      if (image.topics.byName.has(topic.name)) {
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
      }
      const collision = collidingTopic(image, topic.name);
      if (collision !== undefined) {
        throw new KafkaError(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${topic.name}' collides with existing topic: ${collision}`,
        );
      }
      checkTopicConfigs(topic);
      const assignment = topicAssignment(image, topic, defaults, random);
      let topicId = randomUuid(random);
      while (image.topics.byId.has(topicId) || usedIds.has(topicId)) topicId = randomUuid(random);
      usedIds.add(topicId);
      topics.push({
        ...base,
        topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: assignment.length,
        replicationFactor: assignment[0]?.length ?? 0,
      });
      if (req.validateOnly) continue;
      records.push({ type: "Topic", name: topic.name, topicId });
      for (const c of topic.configs) {
        if (c.value === null) continue;
        records.push({
          type: "Config",
          resourceType: ConfigResourceType.TOPIC,
          resourceName: topic.name,
          name: c.name,
          value: c.value,
        });
      }
      assignment.forEach((replicas, partitionId) => {
        records.push(newPartition(image, topicId, partitionId, replicas));
      });
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      topics.push({ ...base, errorCode: err.code, errorMessage: err.message });
    }
  }
  return { records, response: { topics } };
}
