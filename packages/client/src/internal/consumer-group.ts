// A consumer's group membership (classic protocol): the GroupMember it runs, the subscription it
// resolves at each join (a topic list, or every topic matching a RegExp), assignments taken into
// the consumer's partition map from their committed offsets, revocations committed first.
import { ASSIGNORS, type TopicPartitions } from "../assignors.js";
import type { Cluster } from "../cluster.js";
import type { RebalanceListener, ResolvedConsumerOptions } from "../consumer-options.js";
import { GroupMember } from "../group.js";
import { partitionKey, type PartitionState, type StartPosition } from "./partition-state.js";

/** What the group changes of its consumer. */
export interface GroupedConsumer {
  readonly partitions: Map<string, PartitionState>;
  addPartition(topic: string, partition: number, start: StartPosition | "none"): PartitionState;
  fail(error: Error): void;
  /** The member must rejoin: the consumer's loop runs it. */
  pump(): void;
}

export class ConsumerGroup {
  readonly member: GroupMember;
  private readonly cluster: Cluster;
  private readonly options: ResolvedConsumerOptions;
  private readonly subscription: string[] | RegExp;
  private readonly consumer: GroupedConsumer;

  constructor(
    cluster: Cluster,
    options: ResolvedConsumerOptions,
    groupId: string,
    subscription: string[] | RegExp,
    consumer: GroupedConsumer,
  ) {
    this.cluster = cluster;
    this.options = options;
    this.subscription = subscription;
    this.consumer = consumer;
    this.member = new GroupMember(
      cluster,
      {
        groupId,
        groupInstanceId: options.groupInstanceId ?? null,
        sessionTimeoutMs: options.sessionTimeoutMs,
        rebalanceTimeoutMs: options.rebalanceTimeoutMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        assignors: options.assignors.map((name) => ASSIGNORS[name]!),
      },
      {
        subscription: () => this.resolveSubscription(),
        onAssigned: (assigned) => this.onAssigned(assigned),
        onRevoked: (revoked) => this.onRevoked(revoked),
        onError: (e) => consumer.fail(e),
        onRejoinNeeded: () => consumer.pump(),
      },
    );
  }

  private async resolveSubscription(): Promise<string[]> {
    const subscription = this.subscription;
    if (Array.isArray(subscription)) return subscription;
    await this.cluster.refreshMetadata(null);
    return [...this.cluster.topics.values()]
      .filter((t) => !t.isInternal && subscription.test(t.name))
      .map((t) => t.name)
      .sort();
  }

  private async onAssigned(assigned: TopicPartitions[]): Promise<void> {
    const partitions = this.consumer.partitions;
    const fresh: TopicPartitions[] = [];
    for (const t of assigned) {
      const ps = t.partitions.filter((p) => !partitions.has(partitionKey(t.topic, p)));
      if (ps.length > 0) fresh.push({ topic: t.topic, partitions: ps });
    }
    if (fresh.length === 0) return this.listen("onPartitionsAssigned", fresh);
    const committed = await this.member.fetchCommitted(fresh);
    for (const t of fresh) {
      for (const p of t.partitions) {
        const c = committed.find((x) => x.topic === t.topic && x.partition === p);
        const start = c && c.offset >= 0n ? c.offset : this.options.autoOffsetReset;
        const state = this.consumer.addPartition(t.topic, p, start);
        if (c && c.offset >= 0n) state.committed = c.offset;
      }
    }
    this.cluster.log.info({ groupId: this.options.groupId, assigned }, "partitions assigned");
    await this.listen("onPartitionsAssigned", fresh);
  }

  private async onRevoked(revokedPartitions: TopicPartitions[]): Promise<void> {
    const partitions = this.consumer.partitions;
    await this.listen("onPartitionsRevoked", revokedPartitions);
    const revoked = revokedPartitions
      .flatMap((t) => t.partitions.map((p) => partitions.get(partitionKey(t.topic, p))))
      .filter((s): s is PartitionState => s !== undefined);
    if (this.options.autoCommit)
      await this.commitStates(revoked).catch((e: Error) =>
        this.cluster.log.warn({ err: e.message }, "commit on revoke failed"),
      );
    for (const s of revoked) {
      s.generation++;
      partitions.delete(partitionKey(s.topic, s.partition));
    }
  }

  private async listen(event: keyof RebalanceListener, partitions: TopicPartitions[]): Promise<void> {
    try {
      await this.options.rebalanceListener?.[event]?.(partitions);
    } catch (e) {
      this.cluster.log.warn({ err: (e as Error).message, event }, "rebalance listener failed");
    }
  }

  /** Commits the consumed positions of `states` that moved since their last commit. */
  async commitStates(states: readonly PartitionState[]): Promise<void> {
    const todo = states.filter((s) => s.consumed !== null && s.consumed !== s.committed);
    if (todo.length === 0) return;
    await this.member.commit(todo.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumed! })));
    for (const s of todo) s.committed = s.consumed;
  }
}
