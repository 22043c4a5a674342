// The producer: records go into a per-partition batch (written in place, see BatchBuilder); a batch
// is sent when full, when linger.ms has passed, or on flush(). One Produce request per leader
// carries at most one batch per partition, with up to maxInFlightRequestsPerConnection requests in
// flight per broker. Idempotence (KIP-98): InitProducerId once, per-partition sequence numbers
// stamped at first send, retried batches resent byte for byte in sequence order.
import { ApiKey, type ProduceResponse } from "@gregor/protocol";
import { type CompressionCodec, compressionCodecByName } from "@gregor/protocol";
import { Cluster } from "./cluster.js";
import { GregorClientError } from "./errors.js";
import { stamp, type Bytes, type HeaderInput } from "./internal/batch-builder.js";
import { initProducerId } from "./internal/producer-id.js";
import { failBatch, onResponse, retryOrFail, type ProduceOutcomes } from "./internal/produce-response.js";
import {
  addOwner,
  failCall,
  newBatch,
  newProducerPartition,
  type ProducerBatch,
  type ProducerPartition,
  type SendCall,
} from "./internal/producer-batch.js";
import { parseOptions } from "./options.js";
import { StickyPartitions, murmur2Partitioner } from "./partitioner.js";
import {
  clientOptionsOf,
  producerSchema,
  type ProducerOptions,
  type ResolvedProducerOptions,
} from "./producer-options.js";

export interface ProducerRecord {
  key?: Bytes;
  value: Bytes;
  headers?: readonly HeaderInput[] | Readonly<Record<string, Buffer | string>> | undefined;
  partition?: number;
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1n with acks=0 or for a duplicate the broker had already written. */
  offset: bigint;
}

export class Producer {
  readonly cluster: Cluster;
  private readonly options: ResolvedProducerOptions;
  private readonly codec: CompressionCodec;
  private readonly sticky: StickyPartitions;
  private readonly partitions = new Map<string, ProducerPartition[]>();
  private readonly active = new Set<ProducerPartition>();
  private readonly brokerInFlight = new Map<number, number>();
  private bufferedBytes = 0;
  private outstandingBatches = 0;
  private spaceWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private lingerTimer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private flushing = 0;
  private metadataRefresh: Promise<void> | null = null;
  private producerId = -1n;
  private producerEpoch = -1;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private ready = false;
  private readonly outcomes: ProduceOutcomes;

  constructor(options: ProducerOptions) {
    this.options = parseOptions(producerSchema, options, "producer");
    this.cluster = new Cluster(clientOptionsOf(options));
    this.codec = compressionCodecByName(this.options.compression)!;
    this.sticky = new StickyPartitions(this.options.random ?? Math.random);
    const release = (b: ProducerBatch): void => this.releaseBatch(b);
    const metadataStale = (): void => this.refreshMetadataSoon();
    this.outcomes = { cluster: this.cluster, options: this.options, active: this.active, release, metadataStale };
  }

  /** Connects to the cluster and, when idempotent, obtains a producer id. Called by send() if needed. */
  connect(): Promise<void> {
    this.connecting ??= (async () => {
      await this.cluster.refreshMetadata([]);
      if (this.options.idempotent) await this.initProducerId();
    })();
    this.connecting.catch(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async initProducerId(): Promise<void> {
    const id = await initProducerId(this.cluster, this.options.retry);
    this.producerId = id.producerId;
    this.producerEpoch = id.producerEpoch;
  }

  get idempotenceState(): { producerId: bigint; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /**
   * Queues records for `topic` and resolves with each record's partition and offset, in input order,
   * once all of them are acknowledged (acks) or rejects with the first failure.
   */
  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new GregorClientError("producer is closed");
    const list = Array.isArray(records) ? (records as readonly ProducerRecord[]) : [records as ProducerRecord];
    if (!this.ready) {
      await this.connect();
      this.ready = true;
    }
    if (this.bufferedBytes >= this.options.bufferMemory) await new Promise<void>((r) => this.spaceWaiters.push(r));
    let states = this.partitions.get(topic);
    const meta = this.cluster.topics.get(topic);
    if (states === undefined || meta === undefined || meta.partitions.length !== states.length) {
      const [t] = await this.cluster.topicMetadata([topic]);
      states = this.partitions.get(topic) ?? [];
      for (let p = states.length; p < t!.partitions.length; p++) states.push(newProducerPartition(topic, p));
      this.partitions.set(topic, states);
    }
    const count = states.length;
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const call: SendCall = {
        results: new Array<RecordMetadata>(list.length),
        remaining: list.length,
        done: false,
        resolve,
        reject,
      };
      if (list.length === 0) return resolve([]);
      const now = Date.now();
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        let partition = r.partition ?? -1;
        const key = r.key === undefined ? null : typeof r.key === "string" ? Buffer.from(r.key) : r.key;
        if (partition < 0 && this.options.partitioner)
          partition = this.options.partitioner({ topic, key, partitionCount: count });
        if (partition < 0 && key !== null) partition = murmur2Partitioner({ topic, key, partitionCount: count });
        if (partition < 0) partition = this.sticky.partition(topic, count);
        if (partition >= count) {
          failCall(
            call,
            new GregorClientError(`partition ${partition} does not exist in topic ${topic} (${count} partitions)`),
          );
          return;
        }
        this.append(states[partition]!, call, i, r.timestamp ?? now, key, r.value, normalizeHeaders(r.headers), now);
      }
      this.schedule();
    });
  }

  private append(
    p: ProducerPartition,
    call: SendCall,
    index: number,
    timestamp: number,
    key: Bytes,
    value: Bytes,
    headers: HeaderInput[] | undefined,
    now: number,
  ): void {
    let b = p.open;
    if (b === null || !b.builder.tryAppend(timestamp, key, value, headers)) {
      if (b !== null) this.closeOpen(p, now);
      b = this.newBatch(now);
      p.open = b;
      this.active.add(p);
      b.builder.tryAppend(timestamp, key, value, headers);
    }
    addOwner(b, call, index);
    if (b.builder.isFull()) this.closeOpen(p, now);
  }

  private newBatch(now: number): ProducerBatch {
    this.outstandingBatches++;
    return newBatch(this.options.batchSize, now);
  }

  /** Moves the open batch to the send queue, compressing it. */
  private closeOpen(p: ProducerPartition, _now: number): void {
    const b = p.open;
    if (b === null) return;
    p.open = null;
    const count = this.partitions.get(p.topic)?.length ?? 1;
    this.sticky.onNewBatch(p.topic, p.partition, count);
    let sealed: Buffer | Promise<Buffer>;
    try {
      sealed = b.builder.seal(this.codec);
    } catch (e) {
      failBatch(this.outcomes, b, e as Error);
      return;
    }
    if (Buffer.isBuffer(sealed)) b.bytes = sealed;
    else {
      b.sealing = sealed;
      sealed.then(
        (bytes) => {
          b.bytes = bytes;
          b.sealing = null;
          this.schedule();
        },
        (e: Error) => {
          p.queue.splice(p.queue.indexOf(b), 1);
          failBatch(this.outcomes, b, e);
        },
      );
    }
    this.bufferedBytes += b.builder.sizeBytes;
    p.queue.push(b);
  }

  /** Runs drain() soon: at once for full batches, after linger for open ones. */
  private schedule(): void {
    if (this.immediate === null) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.drain();
      });
    }
  }

  private drain(): void {
    if (this.closed && this.flushing === 0) return;
    const now = Date.now();
    const linger = this.options.lingerMs;
    let nextWakeMs = Infinity;
    const requests = new Map<number, ProducerPartition[]>();
    let needMetadata = false;
    for (const p of this.active) {
      if (p.queue.length === 0 && p.open === null) {
        if (p.inFlight === 0) this.active.delete(p);
        continue;
      }
      const leader = this.cluster.leaderOf(p.topic, p.partition);
      if (leader < 0) {
        needMetadata = true;
        continue;
      }
      const busy = this.brokerInFlight.get(leader) ?? 0;
      const planned = requests.get(leader);
      if (busy >= this.options.maxInFlightRequestsPerConnection) continue;
      if (p.queue.length === 0 && p.open !== null) {
        const due = p.open.createdMs + linger;
        if (this.flushing === 0 && due > now) {
          nextWakeMs = Math.min(nextWakeMs, due);
          continue;
        }
        this.closeOpen(p, now);
      }
      const b = p.queue[0];
      if (b === undefined || b.bytes === null) continue;
      if (b.notBeforeMs > now) {
        nextWakeMs = Math.min(nextWakeMs, b.notBeforeMs);
        continue;
      }
      if (this.options.idempotent && p.inFlight > 0 && b.attempts > 0) continue; // resend retries only after earlier batches settle
      if (planned) planned.push(p);
      else requests.set(leader, [p]);
    }
    for (const [leader, parts] of requests) this.sendRequest(leader, parts);
    if (needMetadata) this.refreshMetadataSoon();
    if (nextWakeMs !== Infinity && this.lingerTimer === null) {
      this.lingerTimer = setTimeout(
        () => {
          this.lingerTimer = null;
          this.drain();
        },
        Math.max(0, nextWakeMs - now),
      );
    }
  }

  private sendRequest(leader: number, parts: ProducerPartition[]): void {
    const batches: ProducerBatch[] = [];
    const chosen: ProducerPartition[] = [];
    const byTopic = new Map<string, { index: number; records: Buffer }[]>();
    let size = 0;
    for (const p of parts) {
      const b = p.queue[0]!;
      if (size > 0 && size + b.bytes!.length > this.options.maxRequestSize) continue;
      p.queue.shift();
      size += b.bytes!.length;
      if (this.options.idempotent && b.baseSequence < 0) {
        b.baseSequence = p.nextSequence;
        p.nextSequence = (p.nextSequence + b.builder.count) % 0x80000000; // wraps like Kafka's
        stamp(b.bytes!, this.producerId, this.producerEpoch, b.baseSequence);
      }
      b.attempts++;
      p.inFlight++;
      batches.push(b);
      chosen.push(p);
      let list = byTopic.get(p.topic);
      if (!list) {
        list = [];
        byTopic.set(p.topic, list);
      }
      list.push({ index: p.partition, records: b.bytes! });
    }
    this.brokerInFlight.set(leader, (this.brokerInFlight.get(leader) ?? 0) + 1);
    const acks = this.options.acks;
    const body = {
      transactionalId: null,
      acks,
      timeoutMs: this.options.ackTimeoutMs,
      topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
    };
    const settle = (): void => {
      this.brokerInFlight.set(leader, (this.brokerInFlight.get(leader) ?? 1) - 1);
      for (const p of chosen) p.inFlight--;
    };
    this.cluster
      .broker(leader)
      .then((c) => c.request<ProduceResponse | undefined>(ApiKey.Produce, body, { expectResponse: acks !== 0 }))
      .then(
        (res) => {
          settle();
          onResponse(this.outcomes, chosen, batches, res);
          this.schedule();
        },
        (e: Error) => {
          settle();
          for (let i = 0; i < batches.length; i++) retryOrFail(this.outcomes, chosen[i]!, batches[i]!, e, -1);
          this.cluster.invalidate(chosen[0]?.topic ?? "");
          this.refreshMetadataSoon();
          this.schedule();
        },
      );
  }

  private releaseBatch(b: ProducerBatch): void {
    this.bufferedBytes -= b.builder.sizeBytes;
    this.outstandingBatches--;
    if (this.bufferedBytes < this.options.bufferMemory && this.spaceWaiters.length > 0)
      for (const w of this.spaceWaiters.splice(0)) w();
    if (this.outstandingBatches === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private refreshMetadataSoon(): void {
    if (this.metadataRefresh !== null) return;
    const topics = [...this.partitions.keys()];
    this.metadataRefresh = (async () => {
      await new Promise((r) => setTimeout(r, this.options.retry.initialRetryTimeMs));
      try {
        await this.cluster.refreshMetadata(topics, true);
      } catch (e) {
        this.cluster.log.warn({ err: (e as Error).message }, "metadata refresh failed");
      }
    })().finally(() => {
      this.metadataRefresh = null;
      this.schedule();
    });
  }

  /** Sends everything buffered now (ignoring linger) and resolves when all of it is settled. */
  async flush(): Promise<void> {
    if (this.outstandingBatches === 0) return;
    this.flushing++;
    try {
      const idle = new Promise<void>((r) => this.idleWaiters.push(r));
      this.drain();
      await idle;
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then closes the connections. Sends after close() reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.immediate) clearImmediate(this.immediate);
    await this.cluster.close();
  }
}

function normalizeHeaders(h: ProducerRecord["headers"]): HeaderInput[] | undefined {
  if (h === undefined) return undefined;
  if (Array.isArray(h)) return h as HeaderInput[];
  const out: HeaderInput[] = [];
  for (const [key, value] of Object.entries(h as Record<string, Buffer | string>)) out.push({ key, value });
  return out;
}
