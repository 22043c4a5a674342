// A consumed record. Key, value and header values are slices of the fetch response (no copies);
// the offset is computed from the batch's base offset on access, so no bigint is made per record
// unless the application reads it.

export interface MessageHeader {
  key: string;
  value: Buffer | null;
}

export class Message {
  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly baseOffset: bigint,
    /** offset - the batch's baseOffset. */
    readonly offsetDelta: number,
    /** Milliseconds since the epoch (CreateTime, or LogAppendTime when the topic says so). */
    readonly timestamp: number,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    readonly headers: readonly MessageHeader[],
    readonly leaderEpoch: number,
  ) {}

  get offset(): bigint {
    return this.baseOffset + BigInt(this.offsetDelta);
  }

  /** The offset as a number (exact below 2^53, i.e. always in practice). */
  get offsetNumber(): number {
    return Number(this.baseOffset) + this.offsetDelta;
  }
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
