// Leader election and ISR changes for one partition (Kafka's PartitionChangeBuilder). Given the
// target ISR, elect a leader: keep the current one if it is still in the ISR and acceptable, else
// the first replica in assignment order that is in the ISR and acceptable; failing that, with
// unclean.leader.election.enable, the first acceptable replica even out of the ISR (ISR := [it],
// LeaderRecoveryState RECOVERING, KIP-704); else no leader (-1). The ISR never becomes empty: the
// caller keeps the last member (Kafka without ELR, KIP-966).
import type { PartitionRegistration } from "./image.js";
import { LeaderRecoveryState, NO_LEADER, type PartitionChangeRecord } from "./records.js";

export type Election = "normal" | "preferred" | "unclean";

export interface PartitionChangeInput {
  topicId: string;
  partition: PartitionRegistration;
  /** The ISR to aim for (never empty). */
  targetIsr: readonly number[];
  /** Registered, unfenced and not in controlled shutdown (with this change's broker changes). */
  acceptable: (brokerId: number) => boolean;
  election: Election;
}

const sameList = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

interface LeaderChoice {
  leader: number;
  isr: readonly number[];
  unclean: boolean;
}

export function electLeader(input: PartitionChangeInput): LeaderChoice {
  const { partition, targetIsr, acceptable, election } = input;
  const inIsr = (id: number): boolean => targetIsr.includes(id);
  const preferred = partition.replicas[0];
  if (election === "preferred" && preferred !== undefined && inIsr(preferred) && acceptable(preferred)) {
    return { leader: preferred, isr: targetIsr, unclean: false };
  }
  if (partition.leader !== NO_LEADER && inIsr(partition.leader) && acceptable(partition.leader)) {
    return { leader: partition.leader, isr: targetIsr, unclean: false };
  }
  const clean = partition.replicas.find((id) => inIsr(id) && acceptable(id));
  if (clean !== undefined) return { leader: clean, isr: targetIsr, unclean: false };
  if (election === "unclean") {
    const any = partition.replicas.find(acceptable);
    if (any !== undefined) return { leader: any, isr: [any], unclean: true };
  }
  return { leader: NO_LEADER, isr: targetIsr, unclean: false };
}

/** The PartitionChange record taking the partition to the target, or null when nothing changes. */
export function buildPartitionChange(input: PartitionChangeInput): PartitionChangeRecord | null {
  const { partition } = input;
  const choice = electLeader(input);
  const record: PartitionChangeRecord = {
    type: "PartitionChange",
    partitionId: partition.partitionId,
    topicId: input.topicId,
  };
  let changed = false;
  if (!sameList(choice.isr, partition.isr)) {
    record.isr = [...choice.isr];
    changed = true;
  }
  if (choice.leader !== partition.leader) {
    record.leader = choice.leader;
    changed = true;
  }
  if (choice.unclean && partition.leaderRecoveryState !== LeaderRecoveryState.RECOVERING) {
    record.leaderRecoveryState = LeaderRecoveryState.RECOVERING;
    changed = true;
  }
  return changed ? record : null;
}

/** The ISR without `brokerId`; the last member stays (the ISR is never empty). */
export function isrWithout(isr: readonly number[], brokerId: number): readonly number[] {
  const rest = isr.filter((id) => id !== brokerId);
  return rest.length === 0 ? isr : rest;
}
