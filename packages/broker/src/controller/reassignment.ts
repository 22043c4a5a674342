// Partition reassignment on the controller (KIP-455; Kafka's ReplicationControlManager
// .alterPartitionReassignments / listPartitionReassignments, PartitionReassignmentReplicas,
// PartitionReassignmentRevert). A reassignment grows the replica set to target + removing and
// records addingReplicas / removingReplicas; the leader's ISR grows as the adding replicas catch up
// (AlterPartition); once every adding replica is in the ISR the move completes in the same change:
// replicas := target, removing replicas leave the ISR, and the leader moves if it was removed.
// Cancelling (replicas null) reverts to the original replicas.
import { ErrorCode } from "@gregor/protocol";
import type { MetadataImage, PartitionRegistration, TopicImage } from "./image.js";
import { buildPartitionChange, type Election } from "./partition-change.js";
import { LeaderRecoveryState, type PartitionChangeRecord } from "./records.js";
import { acceptableBrokers, uncleanElectionEnabled } from "./replication-control.js";
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  ControllerResult,
  OngoingPartitionReassignment,
  ReassignablePartitionResponse,
} from "./requests.js";
import { mergePartitionChange } from "./delta.js";

type Replicas = Pick<PartitionRegistration, "replicas" | "isr" | "addingReplicas" | "removingReplicas">;

/** A reassignment is in progress while replicas are being added or removed. */
export function isReassigning(p: Pick<PartitionRegistration, "addingReplicas" | "removingReplicas">): boolean {
  return p.addingReplicas.length > 0 || p.removingReplicas.length > 0;
}

/** Kafka's PartitionReassignmentReplicas: replicas = target then the removed ones; both sets sorted. */
export function reassignmentReplicas(
  current: readonly number[],
  target: readonly number[],
): { replicas: number[]; addingReplicas: number[]; removingReplicas: number[] } {
  const ascending = (a: number, b: number) => a - b;
  const removingReplicas = current.filter((id) => !target.includes(id)).sort(ascending);
  const addingReplicas = target.filter((id) => !current.includes(id)).sort(ascending);
  return { replicas: [...target, ...removingReplicas], addingReplicas, removingReplicas };
}

/**
 * Kafka's maybeCompleteReassignment: the final replicas and ISR once every target replica is in
 * the ISR (the removed replicas leave both); null while one is still catching up.
 */
export function completedReassignment(p: Replicas): { replicas: number[]; isr: number[] } | null {
  if (!isReassigning(p)) return null;
  const removed = (id: number) => p.removingReplicas.includes(id);
  const isr = p.isr.filter((id) => !removed(id));
  const replicas = p.replicas.filter((id) => !removed(id));
  if (isr.length === 0 || replicas.length === 0 || !replicas.every((id) => isr.includes(id))) return null;
  return { replicas, isr };
}

const sameList = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The record taking partition `p` to `next` (replicas, ISR, adding, removing), electing a leader
 * among `next.replicas` when the current one leaves the ISR; null when nothing changes.
 */
function changeTo(
  image: MetadataImage,
  topic: TopicImage,
  p: PartitionRegistration,
  next: Replicas,
): PartitionChangeRecord | null {
  const election: Election = uncleanElectionEnabled(image, topic.name) ? "unclean" : "normal";
  const elected = buildPartitionChange({
    topicId: topic.topicId,
    partition: { ...p, replicas: next.replicas },
    targetIsr: next.isr,
    acceptable: acceptableBrokers(image),
    election,
  });
  const record: PartitionChangeRecord = elected ?? {
    type: "PartitionChange",
    partitionId: p.partitionId,
    topicId: topic.topicId,
  };
  if (!sameList(next.replicas, p.replicas)) record.replicas = [...next.replicas];
  if (!sameList(next.addingReplicas, p.addingReplicas)) record.addingReplicas = [...next.addingReplicas];
  if (!sameList(next.removingReplicas, p.removingReplicas)) record.removingReplicas = [...next.removingReplicas];
  const changed = Object.keys(record).length > 3;
  return changed ? record : null;
}

/**
 * Extends `change` (an ISR change about to be applied to `p`) so that it also completes the
 * reassignment when it can (Kafka's PartitionChangeBuilder.completeReassignmentIfNeeded).
 */
export function completeReassignmentWith(
  image: MetadataImage,
  topic: TopicImage,
  p: PartitionRegistration,
  change: PartitionChangeRecord,
): PartitionChangeRecord {
  const done = completedReassignment(mergePartitionChange(p, change));
  if (done === null) return change;
  const next = { ...done, addingReplicas: [], removingReplicas: [] };
  const { isr: _proposed, ...rest } = change;
  // The completed ISR replaces the proposed one (which may still hold a removed replica).
  const record: PartitionChangeRecord = { ...rest, ...changeTo(image, topic, p, next) };
  if (record.isr === undefined && !sameList(done.isr, p.isr)) record.isr = done.isr;
  return record;
}

class ReassignmentError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Kafka's validateManualPartitionAssignment (no replication factor to match: KIP-455 may change it). */
function validateTarget(image: MetadataImage, target: readonly number[]): void {
  if (target.length === 0) {
    throw new ReassignmentError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      "The manual partition assignment includes an empty replica list.",
    );
  }
  const seen = new Set<number>();
  for (const id of [...target].sort((a, b) => a - b)) {
    if (!image.brokers.has(id)) {
      throw new ReassignmentError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes broker ${id}, but no such broker is registered.`,
      );
    }
    if (seen.has(id)) {
      throw new ReassignmentError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes the broker ${id} more than once.`,
      );
    }
    seen.add(id);
  }
}

function startReassignment(
  image: MetadataImage,
  topic: TopicImage,
  p: PartitionRegistration,
  target: readonly number[],
): PartitionChangeRecord | null {
  validateTarget(image, target);
  const moved = { ...reassignmentReplicas(p.replicas, target), isr: p.isr };
  const done = completedReassignment(moved);
  const next = done === null ? moved : { ...done, addingReplicas: [], removingReplicas: [] };
  return changeTo(image, topic, p, next);
}

/**
 * Kafka's PartitionReassignmentRevert: the adding replicas leave the replicas and the ISR (the
 * replicas keep their current order, so the target's first replica may stay preferred).
 */
function cancelReassignment(
  image: MetadataImage,
  topic: TopicImage,
  p: PartitionRegistration,
): PartitionChangeRecord | null {
  if (!isReassigning(p)) {
    throw new ReassignmentError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "No partition reassignment is in progress.");
  }
  const adding = (id: number) => p.addingReplicas.includes(id);
  const replicas = p.replicas.filter((id) => !adding(id));
  const isr = p.isr.filter((id) => !adding(id));
  const unclean = isr.length === 0;
  if (unclean && !uncleanElectionEnabled(image, topic.name)) {
    throw new ReassignmentError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `Unable to revert partition assignment for ${topic.name}:${p.partitionId} because it would require an unclean leader election.`,
    );
  }
  if (!unclean) return changeTo(image, topic, p, { replicas, isr, addingReplicas: [], removingReplicas: [] });
  // Unclean election allowed: the first live original replica leads alone, recovering (KIP-704).
  const leader = replicas.find(acceptableBrokers(image)) ?? replicas[0]!;
  const record = changeTo(image, topic, p, { replicas, isr: [leader], addingReplicas: [], removingReplicas: [] });
  if (record !== null) record.leaderRecoveryState = LeaderRecoveryState.RECOVERING;
  return record;
}

export function alterPartitionReassignments(
  image: MetadataImage,
  req: AlterPartitionReassignmentsRequest,
): ControllerResult<AlterPartitionReassignmentsResponse> {
  const records: PartitionChangeRecord[] = [];
  // A partition named twice sees the first change (the image is only replayed after the request).
  const changed = new Map<string, PartitionRegistration>();
  const responses = req.topics.map((t) => {
    const topic = image.topics.byName.get(t.name);
    const partitions = t.partitions.map((target): ReassignablePartitionResponse => {
      const result = (errorCode: number, errorMessage: string | null) => ({
        partitionIndex: target.partitionIndex,
        errorCode,
        errorMessage,
      });
      if (topic === undefined)
        return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${t.name}.`);
      const key = `${topic.topicId}:${target.partitionIndex}`;
      const p = changed.get(key) ?? topic.partitions[target.partitionIndex];
      if (p === undefined) {
        return result(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `Unable to find partition ${t.name}:${target.partitionIndex}.`,
        );
      }
      try {
        const record =
          target.replicas === null
            ? cancelReassignment(image, topic, p)
            : startReassignment(image, topic, p, target.replicas);
        if (record !== null) {
          records.push(record);
          changed.set(key, mergePartitionChange(p, record));
        }
        return result(ErrorCode.NONE, null);
      } catch (err) {
        if (err instanceof ReassignmentError) return result(err.errorCode, err.message);
        throw err;
      }
    });
    return { name: t.name, partitions };
  });
  return { records, response: { errorCode: ErrorCode.NONE, errorMessage: null, responses } };
}

/**
 * Reassignments in progress (Kafka's listPartitionReassignments): every one when `topics` is null,
 * else those of the partitions named; unknown topics and partitions are left out.
 */
export function listPartitionReassignments(
  image: MetadataImage,
  topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null,
): { name: string; partitions: OngoingPartitionReassignment[] }[] {
  // A topic named twice is answered once, for every partition named.
  const wanted = new Map<string, Set<number>>();
  for (const t of topics ?? []) wanted.set(t.name, new Set([...(wanted.get(t.name) ?? []), ...t.partitionIndexes]));
  if (topics === null) {
    for (const t of image.topics.byName.values()) wanted.set(t.name, new Set(t.partitions.map((p) => p.partitionId)));
  }
  const out: { name: string; partitions: OngoingPartitionReassignment[] }[] = [];
  for (const [name, partitionIndexes] of wanted) {
    const topic = image.topics.byName.get(name);
    if (topic === undefined) continue;
    const partitions: OngoingPartitionReassignment[] = [];
    for (const index of partitionIndexes) {
      const p = topic.partitions[index];
      if (p === undefined || !isReassigning(p)) continue;
      partitions.push({
        partitionIndex: index,
        replicas: [...p.replicas],
        addingReplicas: [...p.addingReplicas],
        removingReplicas: [...p.removingReplicas],
      });
    }
    if (partitions.length > 0) out.push({ name, partitions });
  }
  return out;
}
