// AlterPartition (KIP-497, KIP-903) and ElectLeaders (KIP-460) on the controller (Kafka's
// ReplicationControlManager.alterPartition / validateAlterPartitionData / electLeaders). A partition
// leader proposes a new ISR with the epochs it knows; the controller checks them against the image
// so a stale leader, a stale proposal or an ineligible replica cannot change the partition.
import { ErrorCode } from "@gregor/protocol";
import type { MetadataImage, PartitionRegistration, TopicImage } from "./image.js";
import { buildPartitionChange, type Election } from "./partition-change.js";
import { LeaderRecoveryState, type PartitionChangeRecord } from "./records.js";
import { acceptableBrokers } from "./replication-control.js";
import {
  ElectionType,
  type AlterPartitionData,
  type AlterPartitionPartitionResult,
  type AlterPartitionRequest,
  type AlterPartitionResponse,
  type ControllerResult,
  type ElectLeadersPartitionResult,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
} from "./requests.js";
import { mergePartitionChange } from "./delta.js";
import { completeReassignmentWith } from "./reassignment.js";

/** Kafka's validateAlterPartitionData: NONE when the proposal may be applied. */
function validate(image: MetadataImage, brokerId: number, p: PartitionRegistration, data: AlterPartitionData): number {
  if (data.leaderEpoch > p.leaderEpoch || data.partitionEpoch > p.partitionEpoch) return ErrorCode.NOT_CONTROLLER;
  if (data.leaderEpoch < p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (brokerId !== p.leader) return ErrorCode.INVALID_REQUEST;
  if (data.partitionEpoch < p.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
  const isr = data.newIsrWithEpochs.map((b) => b.brokerId);
  if (new Set(isr).size !== isr.length || !isr.every((id) => p.replicas.includes(id))) return ErrorCode.INVALID_REQUEST;
  if (!isr.includes(p.leader)) return ErrorCode.INVALID_REQUEST;
  const recovering = data.leaderRecoveryState === LeaderRecoveryState.RECOVERING;
  if (recovering && p.leaderRecoveryState === LeaderRecoveryState.RECOVERED) return ErrorCode.INVALID_REQUEST;
  if (recovering && isr.length > 1) return ErrorCode.INVALID_REQUEST;
  const acceptable = acceptableBrokers(image);
  for (const member of data.newIsrWithEpochs) {
    const broker = image.brokers.get(member.brokerId);
    const staleEpoch = member.brokerEpoch !== -1 && broker?.brokerEpoch !== member.brokerEpoch;
    if (!acceptable(member.brokerId) || staleEpoch) return ErrorCode.INELIGIBLE_REPLICA;
  }
  return ErrorCode.NONE;
}

function resultOf(p: PartitionRegistration, errorCode: number): AlterPartitionPartitionResult {
  return {
    partitionIndex: p.partitionId,
    errorCode,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    isr: [...p.isr],
    leaderRecoveryState: p.leaderRecoveryState,
    partitionEpoch: p.partitionEpoch,
  };
}

function alterOne(
  image: MetadataImage,
  req: AlterPartitionRequest,
  topic: TopicImage,
  data: AlterPartitionData,
  records: PartitionChangeRecord[],
): AlterPartitionPartitionResult {
  const p = topic.partitions[data.partitionIndex];
  if (p === undefined) {
    return { ...resultOf(EMPTY_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), partitionIndex: data.partitionIndex };
  }
  const errorCode = validate(image, req.brokerId, p, data);
  if (errorCode !== ErrorCode.NONE) return resultOf(p, errorCode);
  const isr = data.newIsrWithEpochs.map((b) => b.brokerId);
  const change: PartitionChangeRecord = { type: "PartitionChange", partitionId: p.partitionId, topicId: topic.topicId };
  if (isr.length !== p.isr.length || isr.some((id, i) => id !== p.isr[i])) change.isr = isr;
  if (data.leaderRecoveryState !== p.leaderRecoveryState) change.leaderRecoveryState = data.leaderRecoveryState;
  if (change.isr === undefined && change.leaderRecoveryState === undefined) return resultOf(p, ErrorCode.NONE);
  // The ISR change may complete a reassignment (KIP-455), which can move the leader away from the
  // sender: it gets NEW_LEADER_ELECTED and learns the new state from metadata, as in Kafka.
  const full = completeReassignmentWith(image, topic, p, change);
  records.push(full);
  const next = mergePartitionChange(p, full);
  if (next.leader !== p.leader) return { ...resultOf(next, ErrorCode.NEW_LEADER_ELECTED) };
  // The answer is sent once the change is applied: it carries the new partition epoch.
  return resultOf(next, ErrorCode.NONE);
}

const EMPTY_PARTITION: PartitionRegistration = {
  partitionId: -1,
  replicas: [],
  isr: [],
  removingReplicas: [],
  addingReplicas: [],
  leader: -1,
  leaderRecoveryState: 0,
  leaderEpoch: -1,
  partitionEpoch: -1,
};

export function alterPartition(
  image: MetadataImage,
  req: AlterPartitionRequest,
): ControllerResult<AlterPartitionResponse> {
  const sender = image.brokers.get(req.brokerId);
  if (sender === undefined || (req.brokerEpoch !== -1 && sender.brokerEpoch !== req.brokerEpoch)) {
    return { records: [], response: { errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] } };
  }
  const records: PartitionChangeRecord[] = [];
  const seen = new Set<string>();
  const topics = req.topics.map((t) => {
    const topic = image.topics.byId.get(t.topicId);
    const partitions = t.partitions.map((data) => {
      const fail = (errorCode: number) => ({
        ...resultOf(EMPTY_PARTITION, errorCode),
        partitionIndex: data.partitionIndex,
      });
      // Each change is checked against the image before the request: a partition named twice is refused.
      const key = `${t.topicId}:${data.partitionIndex}`;
      if (seen.has(key)) return fail(ErrorCode.INVALID_REQUEST);
      seen.add(key);
      return topic === undefined
        ? fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        : alterOne(image, req, topic, data, records);
    });
    return { topicId: t.topicId, partitions };
  });
  return { records, response: { errorCode: ErrorCode.NONE, topics } };
}

/**
 * Kafka's ReplicationControlManager.electLeader: PREFERRED is not needed when the first replica
 * leads, UNCLEAN when there is a leader. An election that changes nothing fails; one that changes
 * the leader succeeds even if it could not pick the preferred replica (an offline partition gets
 * the next eligible one, as in Kafka's PartitionChangeBuilder).
 */
function electOne(
  image: MetadataImage,
  topic: TopicImage,
  p: PartitionRegistration,
  election: Election,
): { errorCode: number; errorMessage: string | null; record: PartitionChangeRecord | null } {
  if (election === "preferred" ? p.leader === p.replicas[0] : p.leader !== -1) {
    return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null, record: null };
  }
  const record = buildPartitionChange({
    topicId: topic.topicId,
    partition: p,
    targetIsr: p.isr,
    acceptable: acceptableBrokers(image),
    election,
  });
  if (record !== null && record.leader !== undefined && record.leader !== -1) {
    return { errorCode: ErrorCode.NONE, errorMessage: null, record };
  }
  return election === "preferred"
    ? {
        errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
        errorMessage: `Failed to elect leader for partition ${topic.name}-${p.partitionId} under strategy PreferredReplicaPartitionLeaderElectionStrategy`,
        record: null,
      }
    : {
        errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
        errorMessage: `No eligible replica of ${topic.name}-${p.partitionId} is alive`,
        record: null,
      };
}

export function electLeaders(image: MetadataImage, req: ElectLeadersRequest): ControllerResult<ElectLeadersResponse> {
  if (req.electionType !== ElectionType.PREFERRED && req.electionType !== ElectionType.UNCLEAN) {
    return {
      records: [],
      response: { errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] },
    };
  }
  const election: Election = req.electionType === ElectionType.PREFERRED ? "preferred" : "unclean";
  const all = req.topicPartitions === null;
  const wanted =
    req.topicPartitions ??
    [...image.topics.byName.values()].map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) => p.partitionId),
    }));
  const records: PartitionChangeRecord[] = [];
  const elected = new Set<string>();
  const replicaElectionResults = wanted.map(({ topic: name, partitions }) => {
    const topic = image.topics.byName.get(name);
    const partitionResult: ElectLeadersPartitionResult[] = [];
    for (const partitionId of partitions) {
      const p = topic?.partitions[partitionId];
      if (topic === undefined || p === undefined) {
        const errorMessage =
          topic === undefined ? `No such topic as ${name}` : `No such partition as ${name}-${partitionId}`;
        partitionResult.push({ partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage });
        continue;
      }
      const key = `${topic.topicId}:${partitionId}`;
      if (elected.has(key)) continue;
      elected.add(key);
      const outcome = electOne(image, topic, p, election);
      if (outcome.record) records.push(outcome.record);
      // Asked for every partition, Kafka answers only for those where an election was tried.
      if (all && outcome.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue;
      partitionResult.push({ partitionId, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    return { topic: name, partitionResult };
  });
  return {
    records,
    response: {
      errorCode: ErrorCode.NONE,
      replicaElectionResults: replicaElectionResults.filter((r) => !all || r.partitionResult.length > 0),
    },
  };
}
