// Records inside a magic-v2 batch (KIP-98), each:
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value | headerCount varint |
//   headers: [keyLength varint | key utf8 | valueLength varint | value]
// Encoding sizes every record first, then writes them into one preallocated Buffer: no
// per-record allocation beyond what the caller's record objects already hold.
import { assert } from "../util/assert.js";
import type { RecordCursor } from "./varint.js";
import { uvarintSize, varintSize, writeVarint, zigzag, writeUVarint } from "./varint.js";

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface RecordInput {
  key?: Uint8Array | null;
  value: Uint8Array | null;
  headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch (CreateTime) — a JS number, exact to 2^53. */
  timestamp: number;
  /** Defaults to the record's index in the batch. Must increase through the batch. */
  offsetDelta?: number;
}

export interface DecodedHeader {
  key: string;
  value: Buffer | null;
}

/** A record as read from a batch. key, value and header values are views into the batch bytes. */
export interface DecodedRecord {
  attributes: number;
  offsetDelta: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: DecodedHeader[];
}

/** Smallest possible record: seven one-byte fields. Bounds a declared count before allocating. */
export const MIN_RECORD_BYTES = 7;

function headersSize(headers: readonly RecordHeader[] | undefined): number {
  if (headers === undefined || headers.length === 0) return 1;
  let n = uvarintSize(headers.length * 2);
  for (const h of headers) {
    const k = Buffer.byteLength(h.key, "utf8");
    n += varintSize(k) + k;
    n += h.value === null ? 1 : varintSize(h.value.length) + h.value.length;
  }
  return n;
}

/** Body bytes of one record (everything after its length varint). */
function recordBodySize(r: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const key = r.key ?? null;
  return (
    1 +
    uvarintSize(zigzag(timestampDelta)) +
    varintSize(offsetDelta) +
    (key === null ? 1 : varintSize(key.length) + key.length) +
    (r.value === null ? 1 : varintSize(r.value.length) + r.value.length) +
    headersSize(r.headers)
  );
}

export interface RecordsLayout {
  /** Body size of each record, reused by writeRecords. */
  bodySizes: Int32Array;
  totalBytes: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
}

export function layoutRecords(records: readonly RecordInput[], baseTimestamp: number): RecordsLayout {
  const bodySizes = new Int32Array(records.length);
  let total = 0;
  let maxTimestamp = -1;
  let lastOffsetDelta = -1;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const offsetDelta = r.offsetDelta ?? i;
    assert(offsetDelta > lastOffsetDelta && offsetDelta <= 0x7fffffff, "offsetDelta must increase through the batch");
    assert(Number.isSafeInteger(r.timestamp), "record timestamp must be an integer number of milliseconds");
    lastOffsetDelta = offsetDelta;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    const body = recordBodySize(r, offsetDelta, r.timestamp - baseTimestamp);
    bodySizes[i] = body;
    total += uvarintSize(body * 2) + body;
  }
  return { bodySizes, totalBytes: total, lastOffsetDelta, maxTimestamp };
}

function writeBytes(buf: Buffer, pos: number, b: Uint8Array | null): number {
  if (b === null) {
    buf[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  pos = writeVarint(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}

/** Writes the records at `pos` using sizes from layoutRecords; returns the end position. */
export function writeRecords(
  buf: Buffer,
  pos: number,
  records: readonly RecordInput[],
  layout: RecordsLayout,
  baseTimestamp: number,
): number {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    pos = writeUVarint(buf, pos, layout.bodySizes[i]! * 2);
    buf[pos++] = 0; // record attributes: unused in v2
    pos = writeUVarint(buf, pos, zigzag(r.timestamp - baseTimestamp));
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    pos = writeBytes(buf, pos, r.key ?? null);
    pos = writeBytes(buf, pos, r.value);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0;
      continue;
    }
    pos = writeUVarint(buf, pos, headers.length * 2);
    for (const h of headers) {
      const k = Buffer.byteLength(h.key, "utf8");
      pos = writeVarint(buf, pos, k);
      pos += buf.write(h.key, pos, k, "utf8");
      pos = writeBytes(buf, pos, h.value);
    }
  }
  return pos;
}

/**
 * Decodes `count` records from the cursor. `fixedTimestamp` (LogAppendTime batches) replaces each
 * record's own timestamp, as Kafka does. The records must end exactly at the cursor's end.
 */
export function readRecords(
  c: RecordCursor,
  count: number,
  baseTimestamp: number,
  fixedTimestamp: number | null,
): DecodedRecord[] {
  if (count < 0 || count > (c.end - c.pos) / MIN_RECORD_BYTES) {
    c.fail(`recordsCount ${count} does not fit in ${c.end - c.pos} bytes`, "recordsCount");
  }
  const out: DecodedRecord[] = new Array<DecodedRecord>(count);
  for (let i = 0; i < count; i++) {
    const start = c.pos;
    const length = c.varint("record.length");
    const bodyStart = c.pos;
    if (length < MIN_RECORD_BYTES - 1 || length > c.end - bodyStart)
      c.fail(`record length ${length} invalid`, "record.length", start);
    const end = bodyStart + length;
    const attributes = c.int8("record.attributes");
    const timestampDelta = c.varlong("record.timestampDelta");
    const offsetDelta = c.varint("record.offsetDelta");
    const key = c.nullableBytes("record.key");
    const value = c.nullableBytes("record.value");
    const headerCount = c.varint("record.headers");
    if (headerCount < 0 || headerCount > (end - c.pos) / 2)
      c.fail(`header count ${headerCount} invalid`, "record.headers");
    const headers: DecodedHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hk = c.string("record.header.key");
      headers.push({ key: hk, value: c.nullableBytes("record.header.value") });
    }
    if (c.pos !== end)
      c.fail(`record body is ${c.pos - bodyStart} bytes, length says ${length}`, "record.length", start);
    out[i] = {
      attributes,
      offsetDelta,
      timestamp: fixedTimestamp ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    };
  }
  if (c.pos !== c.end) c.fail(`${c.end - c.pos} bytes left after ${count} records`, "records");
  return out;
}
