// The I/O side of one __consumer_offsets partition: owns the shard, replays the partition log at
// load, appends the records each handle()/tick() returns (group commit: everything queued while a
// write is in flight goes out as one batch and one fsync), and only then delivers the response and
// the deferred completions. Owns the one real timer that drives shard.tick().
import { decodeRecordBatchAsync, encodeRecordBatch, iterateBatches, type RecordInput } from "@gregor/protocol";
import type { Logger } from "pino";
import type { PartitionLog } from "../../log/partition-log.js";
import { encodeCoordinatorRecord, decodeCoordinatorRecord, type CoordinatorRecord } from "../records.js";
import {
  GroupCoordinatorShard,
  PENDING,
  type Pending,
  type ApiMap,
  type ApiName,
  type Completion,
  type GroupConfig,
  type Out,
  type TopicView,
} from "../shard.js";

/** A response as delivered: deferred ones resolve to the completion that released them. */
export type Delivered<K extends ApiName> = Exclude<ApiMap[K][1], Pending>;

/** What a call resolves to when the shard cannot answer: the handler turns it into its error response. */
export interface CallFailure {
  errorCode: number;
}

/** Appends a record set to the partition (the broker's append path, which wakes fetchers). */
export type AppendFn = (records: Buffer) => Promise<{ errorCode: number }>;

interface QueuedWrite {
  records: CoordinatorRecord[];
  /** errorCode 0: the records are durable; otherwise the write failed and nothing may be answered as done. */
  deliver: (errorCode: number) => void;
}

/** Kafka's coordinator answers a failed __consumer_offsets write with a retriable coordinator error. */
const COORDINATOR_NOT_AVAILABLE = 15;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
/** The append fn's answer when this runtime's leader epoch is over. */
const NOT_COORDINATOR = 16;

/** Bound on results waiting for the writer (each holds at most one request's records). */
const MAX_QUEUED_WRITES = 100_000;
const READ_CHUNK_BYTES = 1 << 20;

export class PartitionRuntime {
  /** Replaced by a fresh shard replayed from the log after a failed write (see recover()). */
  shard: GroupCoordinatorShard;
  state: "loading" | "active" | "closed" = "loading";
  private readonly waiters = new Map<number, (response: unknown) => void>();
  /** Failed writes so far (each one rebuilt the shard from the log). */
  writeFailures = 0;
  private recovering: Promise<void> | null = null;
  private queue: QueuedWrite[] = [];
  private writing = false;
  private timer: NodeJS.Timeout | null = null;
  private armedAtMs = Number.POSITIVE_INFINITY;
  /** Records replayed at load and records skipped as unreadable. */
  loadedRecords = 0;
  skippedRecords = 0;

  constructor(
    readonly partition: number,
    private readonly log: PartitionLog,
    private readonly append: AppendFn,
    config: Partial<GroupConfig>,
    topics: TopicView,
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly fsyncOnCommit: boolean,
  ) {
    this.newShard = () => new GroupCoordinatorShard({ config, topics, random: Math.random });
    this.shard = this.newShard();
  }

  private readonly newShard: () => GroupCoordinatorShard;

  /** Replays the partition from its log start offset to its end, then starts the timers. */
  async load(): Promise<void> {
    let offset = this.log.logStartOffset;
    const end = this.log.logEndOffset;
    while (offset < end && this.state === "loading") {
      const chunks = await this.log.read(offset, READ_CHUNK_BYTES, true);
      if (chunks.length === 0) break;
      let advanced = false;
      for (const chunk of chunks) {
        for (const view of iterateBatches(chunk)) {
          const lastOffset = Number(view.header.baseOffset) + view.header.lastOffsetDelta;
          if (lastOffset < offset) continue;
          const batch = await decodeRecordBatchAsync(view.bytes);
          if (!batch.isControl) for (const r of batch.records) this.replayBytes(r.key, r.value);
          offset = lastOffset + 1;
          advanced = true;
        }
      }
      if (!advanced) break;
    }
    if (this.state !== "loading") return;
    this.state = "active";
    this.shard.onLoaded(this.clock());
    this.rearm();
  }

  private replayBytes(key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    try {
      const rec = decodeCoordinatorRecord(key, value);
      if (rec === undefined) return;
      this.shard.replay(rec);
      this.loadedRecords++;
    } catch (err) {
      this.skippedRecords++;
      this.logger.warn({ err, partition: this.partition }, "skipping unreadable __consumer_offsets record");
    }
  }

  /**
   * Runs one request through the shard; resolves once its records are durable. Resolves to a
   * CallFailure (COORDINATOR_NOT_AVAILABLE) when the write fails, or while the shard is reloading.
   */
  call<K extends ApiName>(
    api: K,
    requestId: number,
    call: { version: number; clientId: string; clientHost: string },
    body: ApiMap[K][0],
  ): Promise<Delivered<K> | CallFailure> {
    if (this.state !== "active")
      return Promise.resolve({
        errorCode: this.state === "loading" ? COORDINATOR_LOAD_IN_PROGRESS : COORDINATOR_NOT_AVAILABLE,
      });
    const r = this.shard.handle({ api, call: { requestId, ...call }, body } as never, this.clock());
    return new Promise<Delivered<K> | CallFailure>((resolve) => {
      if (r.response === PENDING) this.waiters.set(requestId, resolve as (x: unknown) => void);
      this.commit(r, (errorCode) => {
        if (errorCode !== 0) {
          this.waiters.delete(requestId);
          resolve({ errorCode });
          return;
        }
        this.deliver(r.completions);
        if (r.response !== PENDING) resolve(r.response as Delivered<K>);
      });
      this.rearm();
    });
  }

  private deliver(completions: Completion[]): void {
    for (const c of completions) {
      const w = this.waiters.get(c.requestId);
      if (w === undefined) continue;
      this.waiters.delete(c.requestId);
      w(c.response);
    }
  }

  private commit(out: Out, deliver: (errorCode: number) => void): void {
    if (out.records.length === 0 && !this.writing && this.queue.length === 0) {
      deliver(0);
      return;
    }
    if (this.queue.length >= MAX_QUEUED_WRITES)
      this.logger.warn({ partition: this.partition }, "coordinator write queue full");
    this.queue.push({ records: out.records, deliver });
    if (!this.writing) void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const failure = await this.write(batch);
        if (failure === null) {
          for (const w of batch) w.deliver(0);
          continue;
        }
        const failed = [...batch, ...this.queue];
        this.queue = [];
        if (failure.errorCode === NOT_COORDINATOR) {
          // Deposed (another leader epoch): the new coordinator serves these groups from its log.
          this.logger.warn(
            { partition: this.partition },
            "no longer the coordinator of this __consumer_offsets partition",
          );
          this.state = "closed";
          for (const w of failed) w.deliver(NOT_COORDINATOR);
          this.failWaiters(NOT_COORDINATOR);
          break;
        }
        // The shard already applied these records but the log may not hold them: everything queued
        // (computed on top of that state) and every parked request fails, and the shard is rebuilt
        // from the log so memory matches what a restart would load.
        this.logger.error(
          { err: failure.err, partition: this.partition },
          "__consumer_offsets write failed; reloading the partition",
        );
        this.writeFailures++;
        this.state = "loading";
        for (const w of failed) w.deliver(COORDINATOR_NOT_AVAILABLE);
        this.failWaiters(COORDINATOR_NOT_AVAILABLE);
        this.recovering = this.recover();
        break;
      }
    } finally {
      this.writing = false;
    }
  }

  /** Appends one group of queued writes as one batch; null when durable (and replicated), else why not. */
  private async write(batch: QueuedWrite[]): Promise<{ errorCode: number; err: unknown } | null> {
    try {
      const records: RecordInput[] = [];
      const nowMs = this.clock();
      for (const w of batch) {
        for (const rec of w.records) {
          const kv = encodeCoordinatorRecord(rec);
          records.push({ key: kv.key, value: kv.value, timestamp: nowMs });
        }
      }
      if (records.length === 0) return null;
      const r = await this.append(encodeRecordBatch({ records }));
      if (r.errorCode !== 0)
        return { errorCode: r.errorCode, err: new Error(`append failed with error code ${r.errorCode}`) };
      if (this.fsyncOnCommit) await this.log.flush();
      return null;
    } catch (err) {
      return { errorCode: COORDINATOR_NOT_AVAILABLE, err };
    }
  }

  /** Answers every parked JoinGroup/SyncGroup with a CallFailure (their state is being discarded). */
  private failWaiters(errorCode: number): void {
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of waiters) w({ errorCode });
  }

  /** Replaces the shard by a replay of the partition log (the load path); requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS. */
  private async recover(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedAtMs = Number.POSITIVE_INFINITY;
    this.shard = this.newShard();
    this.loadedRecords = 0;
    this.skippedRecords = 0;
    try {
      await this.load();
    } catch (err) {
      this.logger.error({ err, partition: this.partition }, "__consumer_offsets reload failed; partition unavailable");
      if (this.state === "loading") this.state = "closed";
    } finally {
      this.recovering = null;
    }
  }

  /** Keeps one real timer armed at the shard's earliest deadline. */
  private rearm(): void {
    if (this.state !== "active") return;
    const next = this.shard.nextDeadlineMs();
    if (next === undefined) return;
    if (this.timer !== null && next >= this.armedAtMs) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedAtMs = next;
    const delayMs = Math.max(0, Math.min(next - this.clock(), 2 ** 31 - 1));
    this.timer = setTimeout(() => this.onTimer(), delayMs);
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    this.armedAtMs = Number.POSITIVE_INFINITY;
    if (this.state !== "active") return;
    const out = this.shard.tick(this.clock());
    this.commit(out, (errorCode) => {
      if (errorCode === 0) this.deliver(out.completions);
    });
    this.rearm();
  }

  async close(): Promise<void> {
    this.state = "closed";
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.writing) await new Promise((r) => setTimeout(r, 1));
    if (this.recovering !== null) await this.recovering;
    this.failWaiters(COORDINATOR_NOT_AVAILABLE);
  }
}
