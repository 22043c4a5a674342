// ISR changes proposed by a partition leader (Kafka's Partition.maybeShrinkIsr / maybeExpandIsr and
// the AlterPartitionManager): a periodic check every replica.lag.time.max.ms / 2 shrinks the ISR
// of followers that fell behind; a follower that caught up is added at its fetch. Each change goes
// to the active controller as AlterPartition (API 56, KIP-497) with the leader and partition
// epochs and the members' broker epochs (KIP-903); one change in flight per partition.
import type { AlterPartitionRequest, AlterPartitionResponse } from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { PartitionLeader, ReplicaManager } from "./replica-manager.js";

const ALTER_PARTITION = 56;

export class IsrChanges {
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly services: BrokerServices,
    private readonly replicas: ReplicaManager,
  ) {}

  private get maxLagMs(): number {
    return this.services.config["replica.lag.time.max.ms"];
  }

  /** Starts the periodic shrink check once a replicated partition is led here. */
  ensureTimer(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => this.checkShrink(), Math.max(1, Math.floor(this.maxLagMs / 2)));
    this.timer.unref();
  }

  /** Proposes, for every partition led here, to drop the followers that lag (Kafka's isr-expiration task). */
  checkShrink(): void {
    const nowMs = this.services.clock();
    for (const leader of this.replicas.ledPartitions()) {
      const p = leader.partition;
      // An image being applied may have moved the leadership before its event comes.
      if (p.leader !== this.services.nodeId || p.log === null) continue;
      this.replicas.sync(leader.topic, p);
      const isr = leader.state.shrinkCandidate(p.log.logEndOffset, nowMs, this.maxLagMs);
      if (isr === null) continue;
      const dropped = leader.state.isr.filter((id) => !isr.includes(id));
      this.services.logger.info(
        { topic: leader.topic, partition: p.index, isr: leader.state.isr, dropped, leaderEpoch: p.leaderEpoch },
        "shrinking ISR: followers lag more than replica.lag.time.max.ms",
      );
      this.send(leader, "shrink", isr);
    }
  }

  /**
   * After a follower's fetch: adds it to the ISR if it caught up (Kafka's maybeExpandIsr) and the
   * image says it may join (Kafka's isReplicaIsrEligible: registered, unfenced, not shutting down),
   * so a fenced follower's fetches send the controller nothing it would refuse.
   */
  maybeExpand(leader: PartitionLeader, replicaId: number): void {
    const isr = leader.state.expandCandidate(replicaId);
    if (isr === null) return;
    const broker = this.services.topics.image.brokers.get(replicaId);
    if (broker === undefined || broker.fenced || broker.inControlledShutdown) return;
    this.services.logger.info(
      { topic: leader.topic, partition: leader.partition.index, isr: leader.state.isr, adding: replicaId },
      "expanding ISR: follower caught up",
    );
    this.send(leader, "expand", isr);
  }

  private send(leader: PartitionLeader, kind: "expand" | "shrink", isr: readonly number[]): void {
    const s = this.services;
    const lifecycle = s.cluster?.lifecycle;
    const t = s.topics.get(leader.topic);
    if (lifecycle === null || lifecycle === undefined || t === undefined) return;
    const state = leader.state;
    state.beginIsrChange(kind, isr);
    const image = s.topics.image;
    const request: AlterPartitionRequest = {
      brokerId: s.nodeId,
      brokerEpoch: lifecycle.brokerEpoch,
      topics: [
        {
          topicId: t.topicId,
          topicName: t.name,
          partitions: [
            {
              partitionIndex: leader.partition.index,
              leaderEpoch: state.leaderEpoch,
              partitionEpoch: state.partitionEpoch,
              newIsr: [...isr],
              newIsrWithEpochs: isr.map((brokerId) => ({
                brokerId,
                brokerEpoch: BigInt(image.brokers.get(brokerId)?.brokerEpoch ?? -1),
              })),
              leaderRecoveryState: 0,
            },
          ],
        },
      ],
    };
    s.cluster.sendToController<AlterPartitionResponse>(ALTER_PARTITION, request).then(
      (res) => this.answered(leader, state, res),
      (err: unknown) => {
        s.logger.warn({ err, topic: leader.topic, partition: leader.partition.index }, "AlterPartition failed");
        state.isrChangeFailed(false);
      },
    );
  }

  private answered(leader: PartitionLeader, state: PartitionLeader["state"], res: AlterPartitionResponse): void {
    // A newer leadership replaced the state meanwhile: this answer is about the old one.
    if (leader.state !== state) return;
    const result = res.topics[0]?.partitions[0];
    const errorCode =
      res.errorCode !== ErrorCode.NONE ? res.errorCode : (result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    if (errorCode === ErrorCode.NONE && result !== undefined && result.leaderEpoch === state.leaderEpoch) {
      state.isrChangeCommitted(result.isr, result.partitionEpoch);
      this.replicas.maybeIncrementHighWatermark(leader);
      return;
    }
    const stale = errorCode === ErrorCode.INVALID_UPDATE_VERSION || errorCode === ErrorCode.FENCED_LEADER_EPOCH;
    this.services.logger.warn(
      { topic: leader.topic, partition: leader.partition.index, errorCode, proposed: state.pending?.proposedIsr },
      stale ? "ISR change refused (stale epoch): waiting for the next metadata image" : "ISR change refused",
    );
    state.isrChangeFailed(stale);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
