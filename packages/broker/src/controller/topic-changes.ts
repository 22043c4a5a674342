// DeleteTopics and CreatePartitions (Kafka's ReplicationControlManager.deleteTopic /
// createPartitions). New partitions are placed like a new topic's, with the topic's replication
// factor (that of its partition 0).
import { ErrorCode, KafkaError } from "@gregor/protocol";
import type { MetadataImage, TopicImage } from "./image.js";
import { placeReplicas } from "./placement.js";
import type { MetadataRecord } from "./records.js";
import type {
  ControllerResult,
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
  DeletableTopicResult,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
} from "./requests.js";
import {
  MAX_PARTITIONS_PER_TOPIC,
  checkAssignments,
  newPartition,
  replicationFactorError,
  usableBrokers,
} from "./topic-control.js";

export function deleteTopics(image: MetadataImage, req: DeleteTopicsRequest): ControllerResult<DeleteTopicsResponse> {
  const records: MetadataRecord[] = [];
  const removed = new Set<string>();
  const responses: DeletableTopicResult[] = req.topics.map((t): DeletableTopicResult => {
    if ((t.name === null) === (t.topicId === null)) {
      return {
        name: t.name,
        topicId: t.topicId ?? "",
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Each topic to delete needs either a name or a topic id, not both.",
      };
    }
    const topic = t.name !== null ? image.topics.byName.get(t.name) : image.topics.byId.get(t.topicId ?? "");
    if (topic === undefined) {
      return t.name !== null
        ? { name: t.name, topicId: "", errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }
        : { name: null, topicId: t.topicId ?? "", errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null };
    }
    // The same topic named twice (or by name and by id) is deleted once.
    if (!removed.has(topic.topicId)) records.push({ type: "RemoveTopic", topicId: topic.topicId });
    removed.add(topic.topicId);
    return { name: topic.name, topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
  });
  return { records, response: { responses } };
}

function newPartitionReplicas(
  image: MetadataImage,
  topic: TopicImage,
  request: CreatePartitionsTopic,
  random: () => number,
): number[][] {
  const current = topic.partitions.length;
  if (!Number.isSafeInteger(request.count) || request.count <= current) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      request.count === current
        ? `Topic already has ${current} partition(s).`
        : `The topic ${topic.name} currently has ${current} partition(s); ${request.count} would not be an increase.`,
    );
  }
  if (request.count > MAX_PARTITIONS_PER_TOPIC) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      `Number of partitions must be at most ${MAX_PARTITIONS_PER_TOPIC}.`,
    );
  }
  const rf = topic.partitions[0]?.replicas.length ?? 1;
  const added = request.count - current;
  if (request.assignments !== null) {
    if (request.assignments.length !== added) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Attempted to add ${added} additional partition(s), but only ${request.assignments.length} assignment(s) were specified.`,
      );
    }
    const lists = request.assignments.map((a) => [...a.brokerIds]);
    checkAssignments(image, lists, rf);
    return lists;
  }
  const usable = usableBrokers(image);
  if (rf > usable.length) throw replicationFactorError(rf, usable.length);
  return placeReplicas(usable, { startPartition: current, numPartitions: added, replicationFactor: rf }, random);
}

export function createPartitions(
  image: MetadataImage,
  req: CreatePartitionsRequest,
  random: () => number,
): ControllerResult<CreatePartitionsResponse> {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const records: MetadataRecord[] = [];
  const results: CreatePartitionsTopicResult[] = [];
  for (const request of req.topics) {
    try {
      if ((counts.get(request.name) ?? 0) > 1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, "Duplicate topic name.");
      }
      const topic = image.topics.byName.get(request.name);
      if (topic === undefined) {
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${request.name}' does not exist.`);
      }
      const lists = newPartitionReplicas(image, topic, request, random);
      results.push({ name: request.name, errorCode: ErrorCode.NONE, errorMessage: null });
      if (req.validateOnly) continue;
      const first = topic.partitions.length;
      lists.forEach((replicas, k) => {
        records.push(newPartition(image, topic.topicId, first + k, replicas));
      });
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      results.push({ name: request.name, errorCode: err.code, errorMessage: err.message });
    }
  }
  return { records, response: { results } };
}
