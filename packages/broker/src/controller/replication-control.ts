// Partition leadership as brokers come and go (Kafka's ReplicationControlManager:
// handleBrokerFenced / handleBrokerUnfenced / handleBrokerInControlledShutdown, KIP-631, KIP-841:
// a fenced or shutting-down broker leaves every ISR and leads nothing).
import { configsOf, type BrokerRegistration, type MetadataImage } from "./image.js";
import { buildPartitionChange, isrWithout, type Election } from "./partition-change.js";
import { ConfigResourceType, NO_LEADER, type PartitionChangeRecord } from "./records.js";

export const UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";

/** Broker state this change is about to write, which elections in the same batch must see. */
export type BrokerOverride = Partial<Pick<BrokerRegistration, "fenced" | "inControlledShutdown">>;

/** Registered, unfenced and not shutting down: may lead and join ISRs. */
export function acceptableBrokers(
  image: MetadataImage,
  overrides: ReadonlyMap<number, BrokerOverride> = new Map(),
): (brokerId: number) => boolean {
  return (brokerId) => {
    const broker = image.brokers.get(brokerId);
    if (broker === undefined) return false;
    const override = overrides.get(brokerId);
    const fenced = override?.fenced ?? broker.fenced;
    const shuttingDown = override?.inControlledShutdown ?? broker.inControlledShutdown;
    return !fenced && !shuttingDown;
  };
}

/** The topic's unclean.leader.election.enable, else the cluster-wide broker config, else false. */
export function uncleanElectionEnabled(image: MetadataImage, topicName: string): boolean {
  const topic = configsOf(image, ConfigResourceType.TOPIC, topicName).get(UNCLEAN_LEADER_ELECTION_ENABLE);
  const value = topic ?? configsOf(image, ConfigResourceType.BROKER, "").get(UNCLEAN_LEADER_ELECTION_ENABLE);
  return value?.trim() === "true";
}

/**
 * Every partition whose ISR holds `brokerId` loses it from the ISR (keeping a last member) and gets
 * a new leader if it was the leader. Used for fencing and for controlled shutdown.
 */
export function removeFromIsrs(
  image: MetadataImage,
  brokerId: number,
  override: BrokerOverride,
): PartitionChangeRecord[] {
  const acceptable = acceptableBrokers(image, new Map([[brokerId, override]]));
  const records: PartitionChangeRecord[] = [];
  for (const topic of image.topics.byId.values()) {
    const election: Election = uncleanElectionEnabled(image, topic.name) ? "unclean" : "normal";
    for (const partition of topic.partitions) {
      if (!partition.isr.includes(brokerId)) continue;
      const record = buildPartitionChange({
        topicId: topic.topicId,
        partition,
        targetIsr: isrWithout(partition.isr, brokerId),
        acceptable,
        election,
      });
      if (record) records.push(record);
    }
  }
  return records;
}

/** Leaderless partitions the newly unfenced `brokerId` can lead get it (Kafka's handleBrokerUnfenced). */
export function electForUnfenced(image: MetadataImage, brokerId: number): PartitionChangeRecord[] {
  const acceptable = acceptableBrokers(image, new Map([[brokerId, { fenced: false }]]));
  const records: PartitionChangeRecord[] = [];
  for (const topic of image.topics.byId.values()) {
    const election: Election = uncleanElectionEnabled(image, topic.name) ? "unclean" : "normal";
    for (const partition of topic.partitions) {
      if (partition.leader !== NO_LEADER || !partition.replicas.includes(brokerId)) continue;
      const record = buildPartitionChange({
        topicId: topic.topicId,
        partition,
        targetIsr: partition.isr,
        acceptable,
        election,
      });
      if (record) records.push(record);
    }
  }
  return records;
}

/** Partitions `brokerId` leads. */
export function leaderCount(image: MetadataImage, brokerId: number): number {
  let count = 0;
  for (const topic of image.topics.byId.values()) {
    for (const partition of topic.partitions) if (partition.leader === brokerId) count++;
  }
  return count;
}
