// The fault suite's writer: one producer (idempotent, acks=all by default) sending unique values to
// every partition of a topic at a steady rate, each send() one record with its partition chosen
// here, so a partition whose leader is down does not hold up the others. It records every value
// attempted, and for each acknowledgement the partition, offset, when it was sent and when it was
// acknowledged — what the checker and the failover figures are computed from.
import { Producer } from "@gregor/client";
import type { Ack } from "./checker.js";

export interface WorkloadOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  /** Values are `<tag>-<partition>-<n>`. */
  tag: string;
  /** Records per second per partition. */
  ratePerPartition: number;
  /** 0/1/all; "all" with idempotence unless `idempotent` is false. */
  acks?: -1 | 1;
  idempotent?: boolean;
  /** Sends in flight per partition (not acknowledged yet) above which that partition waits. */
  maxOutstandingPerPartition?: number;
  /** The producer's request timeout (its default, Kafka's 30 s, unless set). */
  requestTimeoutMs?: number;
}

export interface TimedAck extends Ack {
  sentMs: number;
  ackedMs: number;
  /** Written by another producer (the nemesis's probe), not by this workload. */
  probe?: boolean;
}

const TICK_MS = 10;

export class Workload {
  readonly attempted = new Set<string>();
  readonly acks: TimedAck[] = [];
  /** send() calls that rejected (delivery timeout, fatal producer errors), by message. */
  readonly failures = new Map<string, number>();
  private readonly producer: Producer;
  private readonly outstanding: number[];
  private readonly pending = new Set<Promise<void>>();
  private readonly counters: number[];
  private timer: NodeJS.Timeout | null = null;
  private startedMs = 0;

  constructor(private readonly options: WorkloadOptions) {
    const idempotent = options.idempotent ?? true;
    this.producer = new Producer({
      bootstrapBrokers: options.bootstrap.split(","),
      clientId: `fault-suite-${options.tag}`,
      acks: options.acks ?? -1,
      idempotent,
      // Kafka's defaults: retries without limit, bounded by delivery.timeout.ms (120 s).
      retry: { retries: 1_000_000, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 },
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    this.outstanding = Array.from({ length: options.partitions }, () => 0);
    this.counters = Array.from({ length: options.partitions }, () => 0);
  }

  get tag(): string {
    return this.options.tag;
  }

  start(): void {
    this.startedMs = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Sends what the rate allows since start, per partition. */
  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedMs) / 1000) * this.options.ratePerPartition);
    const cap = this.options.maxOutstandingPerPartition ?? 2000;
    for (let p = 0; p < this.options.partitions; p++)
      while (this.counters[p]! < due && this.outstanding[p]! < cap) this.sendOne(p);
  }

  private sendOne(partition: number): void {
    const value = `${this.options.tag}-${partition}-${this.counters[partition]!}`;
    this.counters[partition]!++;
    this.outstanding[partition]!++;
    this.attempted.add(value);
    const sentMs = performance.now();
    const done = this.producer
      .send(this.options.topic, { value, partition })
      .then(
        ([meta]) => {
          this.acks.push({ value, partition, offset: Number(meta!.offset), sentMs, ackedMs: performance.now() });
        },
        (e: unknown) => {
          const message = (e as Error).message.slice(0, 120);
          this.failures.set(message, (this.failures.get(message) ?? 0) + 1);
        },
      )
      .finally(() => {
        this.outstanding[partition]!--;
        this.pending.delete(done);
      });
    this.pending.add(done);
  }

  /** The first acknowledgement on `partition` of a value sent at or after `sinceMs` (performance.now()), or null. */
  firstAckSince(partition: number, sinceMs: number): number | null {
    let first: number | null = null;
    for (const a of this.acks)
      if (a.partition === partition && a.probe !== true && a.sentMs >= sinceMs && (first === null || a.ackedMs < first))
        first = a.ackedMs;
    return first;
  }

  /** Stops sending and waits (bounded) for every send in flight to be acknowledged or to fail. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, timeoutMs);
    });
    await Promise.race([Promise.all(this.pending), timeout]);
    clearTimeout(timer);
    await Promise.race([this.producer.close(), new Promise((r) => setTimeout(r, 5000))]);
  }

  /** Sends still unresolved (after stop(): ones the producer never finished). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends still unresolved, per partition. */
  get inFlightByPartition(): number[] {
    return [...this.outstanding];
  }
}
