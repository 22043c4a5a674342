// The tasks of one instance (Kafka's TaskManager): created when the group assigns their input
// partitions, restored from their changelogs before they process anything, committed (output and
// changelog writes acknowledged first, then the input offsets) on the commit interval and before a
// rebalance takes their partitions. Under the eager protocol every rebalance revokes everything; a
// task whose revocation committed cleanly is kept suspended and resumed without a restore if the
// same partition comes back in the same rebalance (Kafka keeps suspended tasks the same way).
import {
  type CommittedOffset,
  type Consumer,
  LATEST_TIMESTAMP,
  type Logger,
  type MessageBatch,
  type TopicPartitions,
  listOffsets,
} from "@gregor/client";
import type { ManagedStore } from "../state/store-base.js";
import type { Subtopology, Topology } from "../topology.js";
import type { ProducerCollector } from "./collector.js";
import { loadCheckpoint, taskDir, writeCheckpoint } from "./checkpoint.js";
import { restoreTask } from "./restore.js";
import type { ResolvedStreamsConfig } from "./streams-config.js";
import { StreamTask } from "./task.js";

interface ManagedTask {
  readonly task: StreamTask;
  restored: boolean;
  /** Input topic -> last committed offset. */
  readonly committed: Map<string, bigint>;
}

export interface TaskManagerStats {
  processedRecords: number;
  /** Changelog records replayed into stores (restores). */
  restoredRecords: number;
  restoreMs: number;
  /** Store entries loaded from checkpoint snapshots in the state directory. */
  checkpointRecords: number;
}

export class TaskManager {
  private readonly tasks = new Map<string, ManagedTask>();
  private readonly suspended = new Map<string, ManagedTask>();
  private readonly subByTopic = new Map<string, Subtopology>();
  readonly stats: TaskManagerStats = { processedRecords: 0, restoredRecords: 0, restoreMs: 0, checkpointRecords: 0 };

  constructor(
    private readonly topology: Topology,
    private readonly config: ResolvedStreamsConfig,
    private readonly collector: ProducerCollector,
    private readonly consumer: () => Consumer,
    private readonly restoreConsumer: Consumer,
    private readonly log: Logger,
    private readonly globalStores: ReadonlyMap<string, ManagedStore>,
  ) {
    for (const sub of topology.subtopologies())
      for (const t of sub.sourceTopics) this.subByTopic.set(topology.resolveTopic(config.applicationId, t), sub);
  }

  /** Every source topic, as named on the cluster (what the consumer subscribes to). */
  sourceTopics(): string[] {
    return [...this.subByTopic.keys()];
  }

  /** The tasks that are restored and running (what interactive queries read). */
  activeTasks(): StreamTask[] {
    return [...this.tasks.values()].filter((t) => t.restored).map((t) => t.task);
  }

  onAssigned(assigned: TopicPartitions[]): void {
    for (const { topic, partitions } of assigned) {
      const sub = this.subByTopic.get(topic);
      if (sub === undefined) continue;
      for (const partition of partitions) {
        const id = `${sub.id}_${partition}`;
        if (this.tasks.has(id)) continue;
        const resumed = this.suspended.get(id);
        this.suspended.delete(id);
        this.tasks.set(id, resumed ?? this.newTask(sub, partition));
      }
    }
    // Suspended tasks not handed back went to another instance: their state is stale now.
    for (const t of this.suspended.values()) t.task.close();
    this.suspended.clear();
    this.log.info({ tasks: [...this.tasks.keys()] }, "streams tasks assigned");
  }

  async onRevoked(revoked: TopicPartitions[]): Promise<void> {
    const ids = new Set<string>();
    for (const { topic, partitions } of revoked) {
      const sub = this.subByTopic.get(topic);
      if (sub !== undefined) for (const p of partitions) ids.add(`${sub.id}_${p}`);
    }
    const going = [...ids].flatMap((id) => {
      const t = this.tasks.get(id);
      this.tasks.delete(id);
      return t === undefined ? [] : [t];
    });
    let clean = true;
    try {
      await this.commit(going);
    } catch (e) {
      clean = false;
      this.log.warn({ err: (e as Error).message }, "commit before revocation failed; tasks will restore");
    }
    for (const t of going) {
      if (clean && t.restored) this.suspended.set(t.task.id, t);
      else t.task.close();
    }
  }

  /** Restores every task that has not been yet (stores first, then the processors are built). */
  async restorePending(stopped: () => boolean): Promise<void> {
    for (const [id, managed] of this.tasks) {
      if (managed.restored) continue;
      const checkpoint =
        this.config.stateDir === undefined
          ? { offsets: new Map<string, bigint>(), records: 0 }
          : loadCheckpoint(taskDir(this.config.stateDir, this.config.applicationId, id), managed.task.changelogs());
      this.stats.checkpointRecords += checkpoint.records;
      const result = await restoreTask(
        this.restoreConsumer,
        managed.task,
        () => stopped() || this.tasks.get(id) !== managed,
        checkpoint.offsets,
      );
      if (this.tasks.get(id) !== managed) continue; // revoked while restoring
      this.stats.restoredRecords += result.records;
      this.stats.restoreMs += result.ms;
      if (result.records > 0) this.log.info({ task: id, ...result }, "task restored from changelog");
      managed.task.initialize();
      managed.restored = true;
    }
  }

  /** Processes a batch; a batch for a task not ready (not restored) is rewound to be read again. */
  process(batch: MessageBatch): void {
    const sub = this.subByTopic.get(batch.topic);
    const managed = sub && this.tasks.get(`${sub.id}_${batch.partition}`);
    const first = batch.messages[0];
    if (first === undefined) return;
    if (!managed?.restored) {
      if (managed) this.consumer().seek(batch.topic, batch.partition, first.offset);
      return;
    }
    const task = managed.task;
    for (const m of batch.messages) {
      const headers = m.headers;
      task.process(
        batch.topic,
        m.offset,
        m.timestamp,
        m.key,
        m.value,
        headers.length === 0 ? undefined : Object.fromEntries(headers.map((h) => [h.key, h.value ?? ""])),
      );
    }
    this.stats.processedRecords += batch.messages.length;
    this.collector.sendBuffered();
  }

  punctuate(nowMs: number): void {
    for (const t of this.tasks.values()) if (t.restored) t.task.punctuate("wall-clock-time", nowMs);
    this.collector.sendBuffered();
  }

  /**
   * At-least-once commit: every output and changelog record is acknowledged before the input
   * offsets that would skip their inputs are committed. exactly_once_v2 would instead wrap the
   * same steps in a transaction (sendOffsetsToTransaction + commitTransaction, KIP-447).
   */
  async commit(tasks: readonly ManagedTask[] = [...this.tasks.values()]): Promise<CommittedOffset[]> {
    await this.collector.flush();
    const offsets: CommittedOffset[] = [];
    for (const t of tasks)
      for (const [topic, offset] of t.task.consumedOffsets)
        if (t.committed.get(topic) !== offset) offsets.push({ topic, partition: t.task.partition, offset });
    if (offsets.length === 0) return offsets;
    await this.consumer().commit(offsets);
    for (const t of tasks) for (const [topic, offset] of t.task.consumedOffsets) t.committed.set(topic, offset);
    return offsets;
  }

  /** After a clean final commit: snapshots and checkpoints of every running task (state.dir). */
  async checkpointAll(): Promise<void> {
    const stateDir = this.config.stateDir;
    if (stateDir === undefined) return;
    for (const [id, managed] of this.tasks) {
      if (!managed.restored) continue;
      const changelogs = managed.task.changelogs();
      if (changelogs.length === 0) continue;
      const partition = managed.task.partition;
      const ends = await listOffsets(
        this.restoreConsumer.cluster,
        changelogs.map((c) => ({ topic: c.topic, partition, timestamp: LATEST_TIMESTAMP })),
      );
      const stores = changelogs.map((c) => ({
        ...c,
        offset: ends.find((e) => e.topic === c.topic)?.offset ?? 0n,
      }));
      writeCheckpoint(taskDir(stateDir, this.config.applicationId, id), stores, partition);
    }
  }

  closeAll(): void {
    for (const t of [...this.tasks.values(), ...this.suspended.values()]) t.task.close();
    this.tasks.clear();
    this.suspended.clear();
  }

  private newTask(sub: Subtopology, partition: number): ManagedTask {
    const task = new StreamTask({
      applicationId: this.config.applicationId,
      topology: this.topology,
      subtopology: sub,
      partition,
      collector: this.collector,
      defaultKeySerde: this.config.defaultKeySerde,
      defaultValueSerde: this.config.defaultValueSerde,
      nowMs: () => Date.now(),
      globalStores: this.globalStores,
      onDeserializationError: (error) => {
        if (this.config.deserializationExceptionHandler !== "logAndContinue") return "fail";
        this.log.warn({ err: error.message }, "record skipped: it does not deserialize");
        return "continue";
      },
    });
    return { task, restored: false, committed: new Map() };
  }
}
