// The I/O side of one __consumer_offsets partition: owns the shard, replays the partition log at
// load, appends the records each handle()/tick() returns (group commit: everything queued while a
// write is in flight goes out as one batch and one fsync), and only then delivers the response and
// the deferred completions. Owns the one real timer that drives shard.tick().
import { decodeRecordBatchAsync, encodeRecordBatch, iterateBatches, type RecordInput } from "@gregor/protocol";
import type { Logger } from "pino";
import type { PartitionLog } from "../../log/partition-log.js";
import { encodeCoordinatorRecord, decodeCoordinatorRecord, type CoordinatorRecord } from "../records.js";
import { GroupCoordinatorShard, PENDING, type Pending, type ApiMap, type ApiName, type Completion, type GroupConfig, type Out, type TopicView } from "../shard.js";

/** Appends a record set to the partition (the broker's append path, which wakes fetchers). */
/** A response as delivered: deferred ones resolve to the completion that released them. */
export type Delivered<K extends ApiName> = Exclude<ApiMap[K][1], Pending>;

export type AppendFn = (records: Buffer) => Promise<{ errorCode: number }>;

interface QueuedWrite {
  records: CoordinatorRecord[];
  deliver: () => void;
}

/** Bound on results waiting for the writer (each holds at most one request's records). */
const MAX_QUEUED_WRITES = 100_000;
const READ_CHUNK_BYTES = 1 << 20;

export class PartitionRuntime {
  readonly shard: GroupCoordinatorShard;
  state: "loading" | "active" | "closed" = "loading";
  private readonly waiters = new Map<number, (response: unknown) => void>();
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
    this.shard = new GroupCoordinatorShard({ config, topics, random: Math.random });
  }

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

  /** Runs one request through the shard; resolves once its records are durable. */
  call<K extends ApiName>(api: K, requestId: number, call: { version: number; clientId: string; clientHost: string }, body: ApiMap[K][0]): Promise<Delivered<K>> {
    const r = this.shard.handle({ api, call: { requestId, ...call }, body } as never, this.clock());
    const promise =
      r.response === PENDING
        ? new Promise<Delivered<K>>((resolve) => this.waiters.set(requestId, resolve as (x: unknown) => void))
        : null;
    return new Promise<Delivered<K>>((resolve) => {
      this.commit(r, () => {
        this.deliver(r.completions);
        if (promise === null) resolve(r.response as Delivered<K>);
      });
      if (promise !== null) void promise.then(resolve);
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

  private commit(out: Out, deliver: () => void): void {
    if (out.records.length === 0 && !this.writing && this.queue.length === 0) {
      deliver();
      return;
    }
    if (this.queue.length >= MAX_QUEUED_WRITES) this.logger.warn({ partition: this.partition }, "coordinator write queue full");
    this.queue.push({ records: out.records, deliver });
    if (!this.writing) void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const records: RecordInput[] = [];
        const nowMs = this.clock();
        for (const w of batch) {
          for (const rec of w.records) {
            const kv = encodeCoordinatorRecord(rec);
            records.push({ key: kv.key, value: kv.value, timestamp: nowMs });
          }
        }
        if (records.length > 0) {
          const r = await this.append(encodeRecordBatch({ records }));
          if (r.errorCode !== 0) this.logger.error({ partition: this.partition, errorCode: r.errorCode }, "__consumer_offsets append failed");
          else if (this.fsyncOnCommit) await this.log.flush();
        }
        for (const w of batch) w.deliver();
      }
    } catch (err) {
      this.logger.error({ err, partition: this.partition }, "__consumer_offsets write failed");
      const rest = this.queue;
      this.queue = [];
      for (const w of rest) w.deliver();
    } finally {
      this.writing = false;
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
    this.commit(out, () => this.deliver(out.completions));
    this.rearm();
  }

  async close(): Promise<void> {
    this.state = "closed";
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.writing) await new Promise((r) => setTimeout(r, 1));
  }
}
