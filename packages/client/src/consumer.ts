// The consumer: assign() or subscribe() (classic group protocol), then `for await (const batch of
// consumer)` or run({ eachBatch | eachMessage }). One Fetch in flight per leader; the next one is sent
// as soon as a response is decoded, while the application works on buffered batches, until the
// buffered bytes reach maxBufferedBytes (backpressure).
import { ApiKey, type FetchResponse } from "@gregor/protocol";
import { ASSIGNORS, type TopicPartitions } from "./assignors.js";
import { Cluster } from "./cluster.js";
import { consumerSchema, type ConsumerOptions, type ResolvedConsumerOptions } from "./consumer-options.js";
import { GregorClientError, KafkaProtocolError, isStaleMetadataCode } from "./errors.js";
import { GroupMember, type CommittedOffset } from "./group.js";
import { backoffMs } from "./internal/backoff.js";
import { decodeRecords, scanRecords, type DecodeContext, type DecodedRecords } from "./internal/record-reader.js";
import type { Message, MessageBatch } from "./message.js";
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from "./offsets.js";
import { parseOptions } from "./options.js";

/** Where to start reading: an offset, earliest, latest, or the first record at/after a time. */
export type StartPosition = bigint | "earliest" | "latest" | { timestamp: number };

export interface PartitionAssignment {
  topic: string;
  partition: number;
  offset?: StartPosition;
}

interface PState {
  topic: string;
  partition: number;
  fetchOffset: bigint | null;
  reset: StartPosition | "none" | null;
  consumed: bigint | null;
  committed: bigint | null;
  paused: boolean;
  gen: number;
  notBeforeMs: number;
  highWatermark: bigint;
}

/** Fetched bytes of one partition, decoded into a MessageBatch when the application takes them. */
interface Buffered {
  records: Buffer;
  /** Where decoding resumes (a fetch is handed out in MessageBatches of about BATCH_RECORDS). */
  at: number;
  ctx: DecodeContext;
  highWatermark: bigint;
  /** The offset after the last complete record batch. */
  nextOffset: bigint;
  state: PState;
  gen: number;
  sizeBytes: number;
}

interface Yielded {
  state: PState;
  gen: number;
  nextOffset: bigint;
}

/**
 * A fetch is handed out in MessageBatches of whole record batches, closed once they hold this many
 * messages: the Message objects of a batch are short-lived, so they die in V8's young generation
 * instead of being promoted (a 1 MiB partition fetch of small records is ~8,000 of them).
 */
const BATCH_RECORDS = 2048;
const key = (t: string, p: number): string => `${t}\0${p}`;

export class Consumer implements AsyncIterable<MessageBatch> {
  readonly cluster: Cluster;
  private readonly o: ResolvedConsumerOptions;
  private readonly parts = new Map<string, PState>();
  private readonly buffer: Buffered[] = [];
  private bufferHead = 0;
  private bufferedBytes = 0;
  private readonly fetching = new Set<number>();
  private resolving = false;
  private waiter: (() => void) | null = null;
  private error: Error | null = null;
  private closed = false;
  private member: GroupMember | null = null;
  private subscription: string[] | RegExp | null = null;
  private rejoining: Promise<void> | null = null;
  private lastYielded: Yielded | null = null;
  private autoCommitTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(options: ConsumerOptions) {
    this.o = parseOptions(consumerSchema, options, "consumer");
    const client: Record<string, unknown> = {};
    for (const k of [
      "bootstrapBrokers",
      "clientId",
      "connectTimeoutMs",
      "requestTimeoutMs",
      "maxInFlightRequests",
      "metadataMaxAgeMs",
      "retry",
      "tls",
      "sasl",
      "logger",
    ] as const) {
      if (options[k] !== undefined) client[k] = options[k];
    }
    this.cluster = new Cluster(client as unknown as ConsumerOptions);
  }

  /** Reads the given partitions without a group (replaces any previous assignment). */
  assign(partitions: readonly PartitionAssignment[]): void {
    if (this.subscription !== null) throw new GregorClientError("assign() cannot be combined with subscribe()");
    this.parts.clear();
    for (const p of partitions) this.addPartition(p.topic, p.partition, p.offset ?? this.o.autoOffsetReset);
    this.wake();
    this.pump();
  }

  /** Joins the consumer group `groupId` for these topics (or every topic matching the RegExp). */
  subscribe(topics: readonly string[] | RegExp): void {
    if (this.o.groupId === undefined) throw new GregorClientError("subscribe() needs the groupId option");
    if (this.subscription !== null || this.parts.size > 0)
      throw new GregorClientError("already subscribed or assigned");
    this.subscription = topics instanceof RegExp ? topics : [...topics];
    this.member = new GroupMember(
      this.cluster,
      {
        groupId: this.o.groupId,
        groupInstanceId: this.o.groupInstanceId ?? null,
        sessionTimeoutMs: this.o.sessionTimeoutMs,
        rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
        heartbeatIntervalMs: this.o.heartbeatIntervalMs,
        assignors: this.o.assignors.map((n) => ASSIGNORS[n]!),
      },
      {
        subscription: () => this.resolveSubscription(),
        onAssigned: (tps) => this.onAssigned(tps),
        onRevoked: (tps) => this.onRevoked(tps),
        onError: (e) => this.fail(e),
        onRejoinNeeded: () => this.pump(),
      },
    );
  }

  private async resolveSubscription(): Promise<string[]> {
    const s = this.subscription!;
    if (Array.isArray(s)) return s;
    await this.cluster.refreshMetadata(null);
    return [...this.cluster.topics.values()]
      .filter((t) => !t.isInternal && (s as RegExp).test(t.name))
      .map((t) => t.name)
      .sort();
  }

  private async onAssigned(tps: TopicPartitions[]): Promise<void> {
    const fresh: TopicPartitions[] = [];
    for (const t of tps) {
      const ps = t.partitions.filter((p) => !this.parts.has(key(t.topic, p)));
      if (ps.length > 0) fresh.push({ topic: t.topic, partitions: ps });
    }
    if (fresh.length === 0) return;
    const committed = await this.member!.fetchCommitted(fresh);
    for (const t of fresh) {
      for (const p of t.partitions) {
        const c = committed.find((x) => x.topic === t.topic && x.partition === p);
        const s = this.addPartition(t.topic, p, c && c.offset >= 0n ? c.offset : this.o.autoOffsetReset);
        if (c && c.offset >= 0n) s.committed = c.offset;
      }
    }
    this.cluster.log.info({ groupId: this.o.groupId, assigned: tps }, "partitions assigned");
  }

  private async onRevoked(tps: TopicPartitions[]): Promise<void> {
    const revoked = tps
      .flatMap((t) => t.partitions.map((p) => this.parts.get(key(t.topic, p))))
      .filter((s): s is PState => s !== undefined);
    if (this.o.autoCommit)
      await this.commitStates(revoked).catch((e: Error) =>
        this.cluster.log.warn({ err: e.message }, "commit on revoke failed"),
      );
    for (const s of revoked) {
      s.gen++;
      this.parts.delete(key(s.topic, s.partition));
    }
  }

  private addPartition(topic: string, partition: number, start: StartPosition | "none"): PState {
    const s: PState = {
      topic,
      partition,
      fetchOffset: null,
      reset: null,
      consumed: null,
      committed: null,
      paused: false,
      gen: 0,
      notBeforeMs: 0,
      highWatermark: -1n,
    };
    this.setPosition(s, start);
    this.parts.set(key(topic, partition), s);
    return s;
  }

  private setPosition(s: PState, start: StartPosition | "none"): void {
    s.gen++;
    if (typeof start === "bigint") {
      s.fetchOffset = start;
      s.consumed = start;
      s.reset = null;
    } else {
      s.fetchOffset = null;
      s.reset = start;
    }
  }

  /** Moves the next read of a partition (buffered records for it are dropped). */
  seek(topic: string, partition: number, offset: StartPosition): void {
    const s = this.parts.get(key(topic, partition));
    if (!s) throw new GregorClientError(`${topic}-${partition} is not assigned to this consumer`);
    this.setPosition(s, offset);
    this.pump();
  }

  pause(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const s = this.parts.get(key(p.topic, p.partition));
      if (!s || s.paused) continue;
      s.paused = true;
      // Drop what was fetched but not handed out; resume() refetches from the consumed position.
      if (s.consumed !== null) {
        s.gen++;
        s.fetchOffset = s.consumed;
      }
    }
  }

  resume(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const s = this.parts.get(key(p.topic, p.partition));
      if (s) s.paused = false;
    }
    this.pump();
  }

  paused(): { topic: string; partition: number }[] {
    return [...this.parts.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  assignment(): { topic: string; partition: number }[] {
    return [...this.parts.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** The next offset to be handed out per partition (null while unknown). */
  position(topic: string, partition: number): bigint | null {
    const s = this.parts.get(key(topic, partition));
    return s ? (s.consumed ?? s.fetchOffset) : null;
  }

  /** Commits the given offsets, or the positions of everything handed out so far. */
  async commit(offsets?: readonly CommittedOffset[]): Promise<void> {
    if (!this.member) throw new GregorClientError("commit() needs a group: set groupId and use subscribe()");
    if (offsets) return this.member.commit(offsets);
    this.markConsumed();
    await this.commitStates([...this.parts.values()]);
  }

  async committed(partitions: readonly TopicPartitions[]): Promise<CommittedOffset[]> {
    if (!this.member) throw new GregorClientError("committed() needs a group");
    return this.member.fetchCommitted(partitions);
  }

  private async commitStates(states: readonly PState[]): Promise<void> {
    if (!this.member) return;
    const todo = states.filter((s) => s.consumed !== null && s.consumed !== s.committed);
    if (todo.length === 0) return;
    await this.member.commit(todo.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumed! })));
    for (const s of todo) s.committed = s.consumed;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (this.member && this.o.autoCommit) {
      this.autoCommitTimer = setInterval(() => {
        this.commitStates([...this.parts.values()]).catch((e: Error) =>
          this.cluster.log.warn({ err: e.message }, "auto-commit failed"),
        );
      }, this.o.autoCommitIntervalMs);
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
      if (this.parts.size === 0) return;
    }
    if (!this.resolving && [...this.parts.values()].some((s) => s.fetchOffset === null && !s.paused))
      void this.resolvePositions();
    if (this.bufferedBytes >= this.o.maxBufferedBytes) return;
    const now = Date.now();
    const byLeader = new Map<number, PState[]>();
    let wakeAt = Infinity;
    let needMetadata = false;
    for (const s of this.parts.values()) {
      if (s.paused || s.fetchOffset === null) continue;
      if (s.notBeforeMs > now) {
        wakeAt = Math.min(wakeAt, s.notBeforeMs);
        continue;
      }
      const leader = this.cluster.leaderOf(s.topic, s.partition);
      if (leader < 0) {
        needMetadata = true;
        continue;
      }
      if (this.fetching.has(leader)) continue;
      let l = byLeader.get(leader);
      if (!l) {
        l = [];
        byLeader.set(leader, l);
      }
      l.push(s);
    }
    if (needMetadata) {
      const topics = [...new Set([...this.parts.values()].map((s) => s.topic))];
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
      const todo = [...this.parts.values()].filter((s) => s.fetchOffset === null && !s.paused && s.reset !== null);
      const none = todo.find((s) => s.reset === "none");
      if (none)
        throw new GregorClientError(
          `no committed offset for ${none.topic}-${none.partition} and autoOffsetReset is "none"`,
        );
      const gens = todo.map((s) => s.gen);
      const ts = (r: StartPosition | "none"): bigint =>
        r === "earliest"
          ? EARLIEST_TIMESTAMP
          : r === "latest"
            ? LATEST_TIMESTAMP
            : BigInt((r as { timestamp: number }).timestamp);
      const answers = await listOffsets(
        this.cluster,
        todo.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: ts(s.reset!) })),
        this.isolation(),
      );
      todo.forEach((s, i) => {
        if (s.gen !== gens[i] || this.parts.get(key(s.topic, s.partition)) !== s) return;
        const a = answers.find((x) => x.topic === s.topic && x.partition === s.partition);
        if (!a) return;
        // No record at/after the timestamp: start at the end, like Kafka's consumer.
        let offset = a.offset;
        if (offset < 0n)
          offset =
            answers.find((x) => x.topic === s.topic && x.partition === s.partition && x.timestamp === LATEST_TIMESTAMP)
              ?.offset ?? -1n;
        if (offset < 0n) {
          s.reset = "latest";
          return;
        }
        s.fetchOffset = offset;
        s.consumed = offset;
        s.reset = null;
      });
    } catch (e) {
      if (e instanceof GregorClientError && !e.retriable) this.fail(e);
      else this.retryLater(e as Error);
    } finally {
      this.resolving = false;
    }
    this.pump();
  }

  private isolation(): number {
    return this.o.isolationLevel === "read_committed" ? 1 : 0;
  }

  private async fetch(leader: number, states: PState[]): Promise<void> {
    this.fetching.add(leader);
    const gens = states.map((s) => s.gen);
    const offsets = states.map((s) => s.fetchOffset!);
    try {
      const byTopic = new Map<
        string,
        {
          partition: number;
          currentLeaderEpoch: number;
          fetchOffset: bigint;
          lastFetchedEpoch: number;
          logStartOffset: bigint;
          partitionMaxBytes: number;
        }[]
      >();
      states.forEach((s, i) => {
        let l = byTopic.get(s.topic);
        if (!l) {
          l = [];
          byTopic.set(s.topic, l);
        }
        l.push({
          partition: s.partition,
          currentLeaderEpoch: -1,
          fetchOffset: offsets[i]!,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: this.o.maxPartitionBytes,
        });
      });
      const c = await this.cluster.broker(leader);
      const res = await c.request<FetchResponse>(ApiKey.Fetch, {
        replicaId: -1,
        maxWaitMs: this.o.maxWaitMs,
        minBytes: this.o.minBytes,
        maxBytes: this.o.maxBytes,
        isolationLevel: this.isolation(),
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        forgottenTopicsData: [],
        rackId: "",
      });
      if (res.errorCode) throw new KafkaProtocolError(res.errorCode, "Fetch");
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const i = states.findIndex((s) => s.topic === t.topic && s.partition === p.partitionIndex);
          const s = states[i];
          if (!s || s.gen !== gens[i] || this.parts.get(key(s.topic, s.partition)) !== s) continue;
          await this.onPartitionData(s, offsets[i]!, p, gens[i]!);
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
    s: PState,
    fetchOffset: bigint,
    p: FetchResponse["responses"][number]["partitions"][number],
    gen: number,
  ): Promise<void> {
    if (p.errorCode !== 0) {
      if (p.errorCode === 1) {
        // OFFSET_OUT_OF_RANGE
        if (this.o.autoOffsetReset === "none")
          throw new KafkaProtocolError(1, `${s.topic}-${s.partition} at offset ${fetchOffset}`);
        this.setPosition(s, this.o.autoOffsetReset);
        return;
      }
      if (isStaleMetadataCode(p.errorCode) || new KafkaProtocolError(p.errorCode).retriable) {
        this.cluster.invalidate(s.topic);
        s.notBeforeMs = Date.now() + this.cluster.options.retry.initialRetryTimeMs;
        return;
      }
      throw new KafkaProtocolError(p.errorCode, `Fetch ${s.topic}-${s.partition}`);
    }
    s.highWatermark = p.highWatermark;
    const records = p.records;
    if (!records || (Buffer.isBuffer(records) && records.length === 0)) return;
    const buf = Buffer.isBuffer(records) ? records : Buffer.concat(records as Buffer[]);
    const aborted =
      this.isolation() === 1
        ? (p.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
        : null;
    const ctx: DecodeContext = {
      topic: s.topic,
      partition: s.partition,
      fetchOffset,
      checkCrcs: this.o.checkCrcs,
      aborted,
    };
    const scanned = scanRecords(buf, ctx);
    if (scanned.nextOffset > fetchOffset) s.fetchOffset = scanned.nextOffset;
    if (scanned.sizeBytes === 0) return;
    this.buffer.push({
      records: buf.subarray(0, scanned.sizeBytes),
      at: 0,
      ctx,
      highWatermark: p.highWatermark,
      nextOffset: scanned.nextOffset,
      state: s,
      gen,
      sizeBytes: scanned.sizeBytes,
    });
    this.bufferedBytes += scanned.sizeBytes;
    this.wake();
  }

  private markConsumed(): void {
    const y = this.lastYielded;
    this.lastYielded = null;
    if (y && y.state.gen === y.gen) y.state.consumed = y.nextOffset;
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
      while (this.bufferHead < this.buffer.length) {
        const b = this.buffer[this.bufferHead]!;
        const batch = this.isCurrent(b) ? await this.decode(b) : null;
        if (b.at >= b.records.length || !this.isCurrent(b)) this.dropHead(b);
        if (batch === null) continue;
        this.lastYielded = { state: b.state, gen: b.gen, nextOffset: batch.nextOffset };
        return batch;
      }
      if (deadline === Infinity) await new Promise<void>((r) => (this.waiter = r));
      else {
        const left = deadline - Date.now();
        if (left <= 0) return null;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((r) => {
          this.waiter = r;
          timer = setTimeout(() => {
            if (this.waiter === r) this.waiter = null;
            r();
          }, left);
        });
        clearTimeout(timer);
      }
    }
  }

  private dropHead(b: Buffered): void {
    if (this.buffer[this.bufferHead] !== b) return;
    this.buffer[this.bufferHead++] = undefined as unknown as Buffered;
    if (this.bufferHead === this.buffer.length) {
      this.buffer.length = 0;
      this.bufferHead = 0;
    }
    const wasFull = this.bufferedBytes >= this.o.maxBufferedBytes;
    this.bufferedBytes -= b.sizeBytes;
    if (wasFull && this.bufferedBytes < this.o.maxBufferedBytes) this.pump();
  }

  private isCurrent(b: Buffered): boolean {
    return (
      b.state.gen === b.gen && !b.state.paused && this.parts.get(key(b.state.topic, b.state.partition)) === b.state
    );
  }

  /**
   * Decodes buffered bytes into a batch (null: nothing to hand out). A corrupt batch puts the
   * partition's position back at it and throws, so the next call refetches and fails again (as Java's
   * consumer does) until the application seeks past it.
   */
  private async decode(b: Buffered): Promise<MessageBatch | null> {
    let decoded: DecodedRecords;
    try {
      const d = decodeRecords(b.records, b.ctx, b.at, BATCH_RECORDS);
      decoded = d instanceof Promise ? await d : d;
      b.at = decoded.resumeAt;
    } catch (e) {
      if (this.isCurrent(b)) this.setPosition(b.state, b.ctx.fetchOffset);
      this.pump();
      throw e;
    }
    if (!this.isCurrent(b)) return null;
    // Records below the committed position were skipped by the reader; control records and
    // aborted transactions leave no message but still move the position.
    const nextOffset = decoded.resumeAt >= b.records.length ? b.nextOffset : decoded.nextOffset;
    if (decoded.messages.length === 0) {
      b.state.consumed = nextOffset;
      return null;
    }
    return {
      topic: b.state.topic,
      partition: b.state.partition,
      messages: decoded.messages,
      highWatermark: b.highWatermark,
      nextOffset,
    };
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
    if (this.member && this.o.autoCommit)
      await this.commitStates([...this.parts.values()]).catch((e: Error) =>
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
