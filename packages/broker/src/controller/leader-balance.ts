// Automatic preferred-leader rebalance (auto.leader.rebalance.enable, KIP-183's preferred replica;
// Kafka's KafkaController.checkAndTriggerAutoLeaderRebalance): every
// leader.imbalance.check.interval.seconds the active controller looks at each broker's share of
// the partitions it is the preferred replica for but does not lead; above
// leader.imbalance.per.broker.percentage, leadership of those partitions moves back to it where it
// is in the ISR and may lead. Partitions being reassigned are left alone (their replica order is in
// flux). Pure: the runtime calls it on its timer.
import type { MetadataImage } from "./image.js";
import { buildPartitionChange } from "./partition-change.js";
import type { PartitionChangeRecord } from "./records.js";
import { isReassigning } from "./reassignment.js";
import { acceptableBrokers } from "./replication-control.js";

export const DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = 10;
export const DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS = 300_000;
/** At most this many elections per check (Kafka's KRaft controller bounds them the same way). */
export const MAX_ELECTIONS_PER_IMBALANCE_CHECK = 1000;

export interface BrokerImbalance {
  brokerId: number;
  /** Partitions whose preferred (first) replica is this broker. */
  preferred: number;
  /** Of those, the ones it does not lead. */
  notLeading: number;
}

/** Each broker that is some partition's preferred replica: how many it should lead and does not. */
export function leaderImbalance(image: MetadataImage): BrokerImbalance[] {
  const byBroker = new Map<number, BrokerImbalance>();
  for (const topic of image.topics.byId.values()) {
    for (const p of topic.partitions) {
      const preferred = p.replicas[0];
      if (preferred === undefined) continue;
      const entry = byBroker.get(preferred) ?? { brokerId: preferred, preferred: 0, notLeading: 0 };
      entry.preferred++;
      if (p.leader !== preferred) entry.notLeading++;
      byBroker.set(preferred, entry);
    }
  }
  return [...byBroker.values()].sort((a, b) => a.brokerId - b.brokerId);
}

/**
 * The preferred-leader elections a check makes: for each broker whose imbalance ratio
 * (notLeading / preferred) exceeds `perBrokerPercentage` %, every partition it should lead where it
 * is in the ISR and acceptable. At most `maxElections` records.
 */
export function balancePartitionLeaders(
  image: MetadataImage,
  perBrokerPercentage = DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
  maxElections = MAX_ELECTIONS_PER_IMBALANCE_CHECK,
): PartitionChangeRecord[] {
  const acceptable = acceptableBrokers(image);
  const over = new Set(
    leaderImbalance(image)
      .filter((b) => acceptable(b.brokerId) && b.notLeading / b.preferred > perBrokerPercentage / 100)
      .map((b) => b.brokerId),
  );
  const records: PartitionChangeRecord[] = [];
  if (over.size === 0) return records;
  for (const topic of image.topics.byId.values()) {
    for (const partition of topic.partitions) {
      if (records.length >= maxElections) return records;
      const preferred = partition.replicas[0];
      if (preferred === undefined || !over.has(preferred) || partition.leader === preferred) continue;
      if (!partition.isr.includes(preferred) || isReassigning(partition)) continue;
      const record = buildPartitionChange({
        topicId: topic.topicId,
        partition,
        targetIsr: partition.isr,
        acceptable,
        election: "preferred",
      });
      if (record?.leader === preferred) records.push(record);
    }
  }
  return records;
}
