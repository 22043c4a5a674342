// Responses of the hot paths encoded straight into the connection's OutBuffer, without building the
// generated codec's message objects (BigInt offsets, arrays per level) or a Writer per response.
// Byte-for-byte the same as encodeResponseFrame of the equivalent message (tested against it).
import type { OutBuffer } from "./out-buffer.js";

/** A handler result that writes its own response frame (size prefix, header, body). */
export abstract class DirectResponse {
  abstract encodeFrame(out: OutBuffer, apiVersion: number, correlationId: number): void;
}

/** Produce v3-11 answer for one topic with one partition (librdkafka's shape at linger 0). */
export class ProducePartitionResponse extends DirectResponse {
  constructor(
    readonly name: string,
    readonly index: number,
    readonly errorCode: number,
    readonly baseOffset: number,
    readonly logAppendTimeMs: number,
    readonly logStartOffset: number,
    readonly errorMessage: string | null,
  ) {
    super();
  }

  encodeFrame(out: OutBuffer, v: number, correlationId: number): void {
    const flexible = v >= 9;
    const sizeAt = out.reserveInt32();
    const start = out.length;
    out.int32(correlationId);
    if (flexible) out.uvarint(0);
    if (flexible) out.uvarint(2);
    else out.int32(1);
    out.string(this.name, flexible);
    if (flexible) out.uvarint(2);
    else out.int32(1);
    out.int32(this.index);
    out.int16(this.errorCode);
    out.int64(this.baseOffset);
    out.int64(this.logAppendTimeMs);
    if (v >= 5) out.int64(this.logStartOffset);
    if (v >= 8) {
      if (flexible) out.uvarint(1);
      else out.int32(0); // recordErrors: []
      out.nullableString(this.errorMessage, flexible);
    }
    if (flexible) out.uvarint(0); // partition tagged fields
    if (flexible) out.uvarint(0); // topic tagged fields
    out.int32(0); // throttleTimeMs
    if (flexible) out.uvarint(0);
    out.patchInt32(sizeAt, out.length - start);
  }
}

/** One partition of a FetchResponse with offsets as numbers and the records as log slices. */
export interface FetchPartitionResult {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Null abortedTransactions in error answers, [] otherwise (as the generic handler sends). */
  abortedNull: boolean;
  records: readonly Buffer[] | Buffer;
}

export interface FetchTopicResult {
  topic: string;
  partitions: FetchPartitionResult[];
}

/** Fetch v4-12 (no sessions, no aborted transactions, no tagged fields). */
export class FetchDirectResponse extends DirectResponse {
  constructor(readonly topics: FetchTopicResult[]) {
    super();
  }

  encodeFrame(out: OutBuffer, v: number, correlationId: number): void {
    const flexible = v >= 12;
    const sizeAt = out.reserveInt32();
    const start = out.length;
    out.int32(correlationId);
    if (flexible) out.uvarint(0);
    out.int32(0); // throttleTimeMs
    if (v >= 7) {
      out.int16(0);
      out.int32(0); // sessionId
    }
    arrayLength(out, this.topics.length, flexible);
    for (const t of this.topics) {
      out.string(t.topic, flexible);
      arrayLength(out, t.partitions.length, flexible);
      for (const p of t.partitions) {
        out.int32(p.partitionIndex);
        out.int16(p.errorCode);
        out.int64(p.highWatermark);
        out.int64(p.lastStableOffset);
        if (v >= 5) out.int64(p.logStartOffset);
        if (p.abortedNull) {
          if (flexible) out.uvarint(0);
          else out.int32(-1);
        } else arrayLength(out, 0, flexible);
        if (v >= 11) out.int32(-1); // preferredReadReplica
        writeRecords(out, p.records, flexible);
        if (flexible) out.uvarint(0);
      }
      if (flexible) out.uvarint(0);
    }
    if (flexible) out.uvarint(0);
    out.patchInt32(sizeAt, out.length - start);
  }
}

function arrayLength(out: OutBuffer, n: number, compact: boolean): void {
  if (compact) out.uvarint(n + 1);
  else out.int32(n);
}

function writeRecords(out: OutBuffer, records: readonly Buffer[] | Buffer, compact: boolean): void {
  if (Buffer.isBuffer(records)) {
    if (compact) out.uvarint(records.length + 1);
    else out.int32(records.length);
    out.raw(records);
    return;
  }
  let len = 0;
  for (const b of records) len += b.length;
  if (compact) out.uvarint(len + 1);
  else out.int32(len);
  for (const b of records) out.raw(b);
}
