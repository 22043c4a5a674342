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
    if (flexible) out.compactString(this.name);
    else out.string(this.name);
    if (flexible) out.uvarint(2);
    else out.int32(1);
    out.int32(this.index);
    out.int16(this.errorCode);
    out.int64Number(this.baseOffset);
    out.int64Number(this.logAppendTimeMs);
    if (v >= 5) out.int64Number(this.logStartOffset);
    if (v >= 8) {
      if (flexible) out.uvarint(1);
      else out.int32(0); // recordErrors: []
      if (flexible) out.compactNullableString(this.errorMessage);
      else out.nullableString(this.errorMessage);
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
    out.arrayLength(this.topics.length, flexible);
    for (const t of this.topics) {
      if (flexible) out.compactString(t.topic);
      else out.string(t.topic);
      out.arrayLength(t.partitions.length, flexible);
      for (const p of t.partitions) {
        out.int32(p.partitionIndex);
        out.int16(p.errorCode);
        out.int64Number(p.highWatermark);
        out.int64Number(p.lastStableOffset);
        if (v >= 5) out.int64Number(p.logStartOffset);
        out.arrayLength(p.abortedNull ? null : 0, flexible);
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
