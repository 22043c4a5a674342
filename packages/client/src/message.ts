// A consumed record. It points into the fetch response: key, value and headers are decoded on first
// access (key/value as slices of the response, no copy), and the offset is computed from the batch's
// base offset on access, so a record the application does not look into costs one small object.
import { readVarint } from "@gregor/protocol";

export interface MessageHeader {
  key: string;
  value: Buffer | null;
}

const NO_HEADERS: readonly MessageHeader[] = Object.freeze([]) as readonly MessageHeader[];
const UNSET = undefined;

/** Scratch for readVarint's next position (headers are materialized without a tuple per varint). */
const next = new Int32Array(1);

/** @internal What the records of one record batch share. */
export interface BatchInfo {
  readonly topic: string;
  readonly partition: number;
  readonly baseOffset: bigint;
  readonly baseTimestamp: number;
  /** The batch's max timestamp when the topic uses LogAppendTime, else -1. */
  readonly logAppendTime: number;
  readonly leaderEpoch: number;
  /** The (inflated) bytes the positions below point into. */
  readonly src: Buffer;
}

export class Message {
  private cachedKey: Buffer | null | undefined = UNSET;
  private cachedValue: Buffer | null | undefined = UNSET;
  private cachedHeaders: readonly MessageHeader[] | undefined = UNSET;

  /** @internal Made by the consumer's record reader. */
  constructor(
    private readonly batch: BatchInfo,
    /** offset - the batch's baseOffset. */
    readonly offsetDelta: number,
    private readonly timestampDelta: number,
    private readonly keyAt: number,
    /** -1: null key. */
    private readonly keyLength: number,
    private readonly valueAt: number,
    /** -1: null value. */
    private readonly valueLength: number,
    /** Where the header count starts; -1: no headers. */
    private readonly headersAt: number,
  ) {}

  get topic(): string {
    return this.batch.topic;
  }

  get partition(): number {
    return this.batch.partition;
  }

  get leaderEpoch(): number {
    return this.batch.leaderEpoch;
  }

  /** Milliseconds since the epoch (CreateTime, or LogAppendTime when the topic says so). */
  get timestamp(): number {
    const b = this.batch;
    return b.logAppendTime >= 0 ? b.logAppendTime : b.baseTimestamp + this.timestampDelta;
  }

  get key(): Buffer | null {
    if (this.cachedKey === UNSET)
      this.cachedKey = this.keyLength < 0 ? null : this.batch.src.subarray(this.keyAt, this.keyAt + this.keyLength);
    return this.cachedKey;
  }

  get value(): Buffer | null {
    if (this.cachedValue === UNSET)
      this.cachedValue =
        this.valueLength < 0 ? null : this.batch.src.subarray(this.valueAt, this.valueAt + this.valueLength);
    return this.cachedValue;
  }

  get headers(): readonly MessageHeader[] {
    if (this.cachedHeaders === UNSET)
      this.cachedHeaders = this.headersAt < 0 ? NO_HEADERS : decodeHeaders(this.batch.src, this.headersAt);
    return this.cachedHeaders;
  }

  get offset(): bigint {
    return this.batch.baseOffset + BigInt(this.offsetDelta);
  }

  /** The offset as a number (exact below 2^53, i.e. always in practice). */
  get offsetNumber(): number {
    return Number(this.batch.baseOffset) + this.offsetDelta;
  }

  /** A plain object with every field (for logging and tests). */
  toJSON(): {
    topic: string;
    partition: number;
    offset: string;
    timestamp: number;
    key: string | null;
    value: string | null;
    headers: { key: string; value: string | null }[];
  } {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: String(this.offset),
      timestamp: this.timestamp,
      key: this.key?.toString() ?? null,
      value: this.value?.toString() ?? null,
      headers: this.headers.map((h) => ({ key: h.key, value: h.value?.toString() ?? null })),
    };
  }
}

/** Headers were validated when the record was read; this only materializes them. */
function decodeHeaders(b: Buffer, at: number): MessageHeader[] {
  const n = readVarint(b, at, next);
  at = next[0]!;
  const headers = new Array<MessageHeader>(n);
  for (let i = 0; i < n; i++) {
    const keyLength = readVarint(b, at, next);
    at = next[0]!;
    const key = b.toString("utf8", at, at + keyLength);
    at += keyLength;
    const valueLength = readVarint(b, at, next);
    at = next[0]!;
    let value: Buffer | null = null;
    if (valueLength >= 0) {
      value = b.subarray(at, at + valueLength);
      at += valueLength;
    }
    headers[i] = { key, value };
  }
  return headers;
}

/** A run of messages from one partition, as returned by one fetch. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: Message[];
  highWatermark: bigint;
  /** The offset after the last message (what a commit after processing this batch records). */
  nextOffset: bigint;
}
