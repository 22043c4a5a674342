// The consumer: assign() or subscribe() (classic group protocol), then `for await (const batch of
// consumer)` or run({ eachBatch | eachMessage }). One Fetch in flight per leader; the next one is sent
// as soon as a response is decoded, while the application works on buffered batches, until the
// buffered bytes reach maxBufferedBytes (backpressure).
import { ApiKey, type FetchResponse } from "@gregor/protocol";
import type { TopicPartitions } from "./assignors.js";
import { Cluster } from "./cluster.js";
import {
  clientOptionsOf,
  consumerSchema,
  type ConsumerOptions,
  type ResolvedConsumerOptions,
} from "./consumer-options.js";
import { GregorClientError, KafkaProtocolError } from "./errors.js";
import type { CommittedOffset, GroupMember } from "./group.js";
import { ConsumerGroup } from "./internal/consumer-group.js";
import { backoffMs } from "./internal/backoff.js";
import { decodeBuffered, partitionFetchOf, type DecodeHost } from "./internal/consumer-decode.js";
import {
  FetchBuffer,
  fetchableByLeader,
  fetchRequest,
  type BufferedFetch,
  type PartitionData,
} from "./internal/fetch.js";
import {
  newPartitionState,
  partitionKey,
  resolveResets,
  setPosition,
  type PartitionState,
  type StartPosition,
} from "./internal/partition-state.js";
import type { Message, MessageBatch } from "./message.js";
import { parseOptions } from "./options.js";

export type { StartPosition } from "./internal/partition-state.js";

export interface PartitionAssignment {
  topic: string;
  partition: number;
  offset?: StartPosition;
}

/** The batch last handed to the application: its position counts as consumed on the next call. */
interface Yielded {
  state: PartitionState;
  generation: number;
  nextOffset: bigint;
}

export class Consumer implements AsyncIterable<MessageBatch> {
  readonly cluster: Cluster;
  private readonly options: ResolvedConsumerOptions;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly buffer = new FetchBuffer();
  private readonly fetching = new Set<number>();
  private resolving = false;
  private waiter: (() => void) | null = null;
  private error: Error | null = null;
  private closed = false;
  private group: ConsumerGroup | null = null;
  private member: GroupMember | null = null;
  private subscription: string[] | RegExp | null = null;
  private rejoining: Promise<void> | null = null;
  private lastYielded: Yielded | null = null;
  private autoCommitTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private started = false;
  private readonly decodeHost: DecodeHost = { isCurrent: (f) => this.isCurrent(f), pump: () => this.pump() };

  constructor(options: ConsumerOptions) {
    this.options = parseOptions(consumerSchema, options, "consumer");
    this.cluster = new Cluster(clientOptionsOf(options));
  }

  /** Reads the given partitions without a group (replaces any previous assignment). */
  assign(partitions: readonly PartitionAssignment[]): void {
    if (this.subscription !== null) throw new GregorClientError("assign() cannot be combined with subscribe()");
    this.partitions.clear();
    for (const p of partitions) this.addPartition(p.topic, p.partition, p.offset ?? this.options.autoOffsetReset);
    this.wake();
    this.pump();
  }

  /** Joins the consumer group `groupId` for these topics (or every topic matching the RegExp). */
  subscribe(topics: readonly string[] | RegExp): void {
    if (this.options.groupId === undefined) throw new GregorClientError("subscribe() needs the groupId option");
    if (this.subscription !== null || this.partitions.size > 0)
      throw new GregorClientError("already subscribed or assigned");
    this.subscription = topics instanceof RegExp ? topics : [...topics];
    this.group = new ConsumerGroup(this.cluster, this.options, this.options.groupId, this.subscription, {
      partitions: this.partitions,
      addPartition: (topic, partition, start) => this.addPartition(topic, partition, start),
      fail: (e) => this.fail(e),
      pump: () => this.pump(),
    });
    this.member = this.group.member;
  }

  private addPartition(topic: string, partition: number, start: StartPosition | "none"): PartitionState {
    const state = newPartitionState(topic, partition);
    setPosition(state, start);
    this.partitions.set(partitionKey(topic, partition), state);
    return state;
  }

  /** Moves the next read of a partition (buffered records for it are dropped). */
  seek(topic: string, partition: number, offset: StartPosition): void {
    const s = this.partitions.get(partitionKey(topic, partition));
    if (!s) throw new GregorClientError(`${topic}-${partition} is not assigned to this consumer`);
    setPosition(s, offset);
    this.pump();
  }

  pause(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const s = this.partitions.get(partitionKey(p.topic, p.partition));
      if (!s || s.paused) continue;
      s.paused = true;
      // Drop what was fetched but not handed out; resume() refetches from the consumed position.
      if (s.consumed !== null) {
        s.generation++;
        s.fetchOffset = s.consumed;
      }
    }
  }

  resume(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const s = this.partitions.get(partitionKey(p.topic, p.partition));
      if (s) s.paused = false;
    }
    this.pump();
  }

  paused(): { topic: string; partition: number }[] {
    return [...this.partitions.values()]
      .filter((s) => s.paused)
      .map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  assignment(): { topic: string; partition: number }[] {
    return [...this.partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** The next offset to be handed out per partition (null while unknown). */
  position(topic: string, partition: number): bigint | null {
    const s = this.partitions.get(partitionKey(topic, partition));
    return s ? (s.consumed ?? s.fetchOffset) : null;
  }

  /** Commits the given offsets, or the positions of everything handed out so far. */
  async commit(offsets?: readonly CommittedOffset[]): Promise<void> {
    if (!this.member) throw new GregorClientError("commit() needs a group: set groupId and use subscribe()");
    if (offsets) return this.member.commit(offsets);
    this.markConsumed();
    await this.commitStates([...this.partitions.values()]);
  }

  async committed(partitions: readonly TopicPartitions[]): Promise<CommittedOffset[]> {
    if (!this.member) throw new GregorClientError("committed() needs a group");
    return this.member.fetchCommitted(partitions);
  }

  private async commitStates(states: readonly PartitionState[]): Promise<void> {
    await this.group?.commitStates(states);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (this.member && this.options.autoCommit) {
      this.autoCommitTimer = setInterval(() => {
        this.commitStates([...this.partitions.values()]).catch((e: Error) =>
          this.cluster.log.warn({ err: e.message }, "auto-commit failed"),
        );
      }, this.options.autoCommitIntervalMs);
      this.autoCommitTimer.unref();
    }
    this.pump();
  }

  private fail(e: Error): void {
    this.error ??= e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private pump(): void {
    if (this.closed || !this.started || this.error) return;
    if (this.member?.needsRejoin) {
      this.rejoining ??= this.member.ensureJoined().then(
        () => {
          this.rejoining = null;
          this.pump();
        },
        (e: Error) => this.fail(e),
      );
      if (this.partitions.size === 0) return;
    }
    if (!this.resolving && [...this.partitions.values()].some((s) => s.fetchOffset === null && !s.paused))
      void this.resolvePositions();
    if (this.buffer.bytes >= this.options.maxBufferedBytes) return;
    const now = Date.now();
    const { byLeader, wakeAt, needMetadata } = fetchableByLeader(
      this.partitions.values(),
      this.cluster,
      this.fetching,
      now,
    );
    if (needMetadata) {
      const topics = [...new Set([...this.partitions.values()].map((s) => s.topic))];
      this.cluster.topicMetadata(topics, false).then(
        () => this.pump(),
        (e: Error) => this.retryLater(e),
      );
    }
    for (const [leader, states] of byLeader) void this.fetch(leader, states);
    if (wakeAt !== Infinity && this.retryTimer === null) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.pump();
      }, wakeAt - now);
    }
  }

  private retryLater(e: Error): void {
    this.cluster.log.debug({ err: e.message }, "consumer retry");
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, this.cluster.options.retry.initialRetryTimeMs);
  }

  private async resolvePositions(): Promise<void> {
    this.resolving = true;
    try {
      const todo = [...this.partitions.values()].filter((s) => s.fetchOffset === null && !s.paused && s.reset !== null);
      await resolveResets(this.cluster, todo, this.isolation(), (s) => this.isAssigned(s));
    } catch (e) {
      if (e instanceof GregorClientError && !e.retriable) this.fail(e);
      else this.retryLater(e as Error);
    } finally {
      this.resolving = false;
    }
    this.pump();
  }

  private isAssigned(state: PartitionState): boolean {
    return this.partitions.get(partitionKey(state.topic, state.partition)) === state;
  }

  private isolation(): number {
    return this.options.isolationLevel === "read_committed" ? 1 : 0;
  }

  private async fetch(leader: number, states: PartitionState[]): Promise<void> {
    this.fetching.add(leader);
    const generations = states.map((s) => s.generation);
    const offsets = states.map((s) => s.fetchOffset!);
    try {
      const c = await this.cluster.broker(leader);
      const request = fetchRequest(states, offsets, this.options, this.isolation());
      const res = await c.request<FetchResponse>(ApiKey.Fetch, request);
      if (res.errorCode) throw new KafkaProtocolError(res.errorCode, "Fetch");
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const i = states.findIndex((s) => s.topic === t.topic && s.partition === p.partitionIndex);
          const s = states[i];
          if (!s || s.generation !== generations[i] || !this.isAssigned(s)) continue;
          await this.onPartitionData(s, offsets[i]!, p, generations[i]!);
        }
      }
    } catch (e) {
      const err = e as Error;
      if (err instanceof GregorClientError && !err.retriable) this.fail(err);
      else {
        for (const s of states)
          s.notBeforeMs =
            Date.now() +
            backoffMs(0, this.cluster.options.retry.initialRetryTimeMs, this.cluster.options.retry.maxRetryTimeMs);
        for (const s of states) this.cluster.invalidate(s.topic);
        this.retryLater(err);
      }
    } finally {
      this.fetching.delete(leader);
    }
    this.pump();
  }

  private async onPartitionData(
    s: PartitionState,
    fetchOffset: bigint,
    p: PartitionData,
    generation: number,
  ): Promise<void> {
    const fetched = partitionFetchOf(s, fetchOffset, p, generation, this.options, this.cluster, this.isolation());
    if (fetched === undefined) return;
    this.buffer.push(fetched);
    this.wake();
  }

  private markConsumed(): void {
    const y = this.lastYielded;
    this.lastYielded = null;
    if (y && y.state.generation === y.generation) y.state.consumed = y.nextOffset;
  }

  /**
   * The next batch of messages, waiting for one; null once the consumer is closed, or when
   * `timeoutMs` passed without a batch. Use the timeout rather than racing a call against a timer:
   * a call left pending still takes the next batch when it comes.
   */
  async nextBatch(options: { timeoutMs?: number } = {}): Promise<MessageBatch | null> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    this.markConsumed();
    this.start();
    for (;;) {
      if (this.error) throw this.error;
      if (this.closed) return null;
      for (let b = this.buffer.peek(); b !== undefined; b = this.buffer.peek()) {
        const batch = this.isCurrent(b) ? await decodeBuffered(this.decodeHost, b) : null;
        if (b.resumeAt >= b.records.length || !this.isCurrent(b)) this.dropHead(b);
        if (batch === null) continue;
        this.lastYielded = { state: b.state, generation: b.generation, nextOffset: batch.nextOffset };
        return batch;
      }
      const waitMs = deadline - Date.now();
      if (waitMs <= 0) return null;
      await this.waitForData(waitMs);
    }
  }

  /** Waits until woken (data, error, close) or `waitMs` passed (Infinity: no timer). */
  private async waitForData(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      if (waitMs !== Infinity)
        timer = setTimeout(() => {
          if (this.waiter === resolve) this.waiter = null;
          resolve();
        }, waitMs);
    });
    clearTimeout(timer);
  }

  private dropHead(fetch: BufferedFetch): void {
    const wasFull = this.buffer.bytes >= this.options.maxBufferedBytes;
    if (!this.buffer.dropHead(fetch)) return;
    if (wasFull && this.buffer.bytes < this.options.maxBufferedBytes) this.pump();
  }

  private isCurrent(fetch: BufferedFetch): boolean {
    return fetch.state.generation === fetch.generation && !fetch.state.paused && this.isAssigned(fetch.state);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MessageBatch> {
    for (;;) {
      const b = await this.nextBatch();
      if (b === null) return;
      yield b;
    }
  }

  /** Callback API: calls eachBatch (or eachMessage per record) until close(). */
  async run(handlers: {
    eachBatch?: (b: MessageBatch) => Promise<void> | void;
    eachMessage?: (m: Message) => Promise<void> | void;
  }): Promise<void> {
    for await (const b of this) {
      if (handlers.eachBatch) await handlers.eachBatch(b);
      if (handlers.eachMessage) for (const m of b.messages) await handlers.eachMessage(m);
    }
  }

  /** Commits (auto-commit), leaves the group, closes connections; a waiting iterator ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.markConsumed();
    if (this.member && this.options.autoCommit)
      await this.commitStates([...this.partitions.values()]).catch((e: Error) =>
        this.cluster.log.warn({ err: e.message }, "final commit failed"),
      );
    this.closed = true;
    if (this.autoCommitTimer) clearInterval(this.autoCommitTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.member?.leave();
    this.wake();
    await this.cluster.close();
  }
}
