// Small helpers the generated codecs call; kept out of the generated files so they stay short.
import { ProtocolDecodeError, ProtocolEncodeError } from "./errors.js";
import type { Reader } from "./reader.js";
import type { Writer } from "./writer.js";

export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/**
 * A `records` field: raw record-batch bytes, never decoded per record by the codec. Encoders also
 * accept a list of slices (e.g. several log segments' byte ranges) that are written without copying.
 */
export type Records = Buffer | readonly Buffer[] | null;

export function req<T>(x: T | null | undefined, field: string): T {
  if (x == null) throw new ProtocolEncodeError(`field ${field} is required and not nullable`);
  return x;
}

export function readArray<T>(r: Reader, compact: boolean, field: string, nullable: boolean, el: (r: Reader) => T): T[] {
  const n = r.arrayLength(compact, field);
  if (n < 0) {
    if (nullable) return null as unknown as T[];
    return [];
  }
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = el(r);
  return out;
}

export function readRecords(r: Reader, compact: boolean, field: string): Buffer | null {
  return compact ? r.compactNullableBytes(field) : r.nullableBytes(field);
}

export function writeRecords(w: Writer, x: Records | undefined, compact: boolean): void {
  if (x == null) {
    if (compact) w.uvarint(0);
    else w.int32(-1);
    return;
  }
  if (Buffer.isBuffer(x)) {
    if (compact) w.compactBytes(x);
    else w.bytes(x);
    return;
  }
  let len = 0;
  for (const b of x as readonly Buffer[]) len += b.length;
  if (compact) w.uvarint(len + 1);
  else w.int32(len);
  for (const b of x as readonly Buffer[]) w.raw(b);
}

/** Concatenates a Records value into one Buffer (null for null). */
export function recordsToBuffer(x: Records | undefined): Buffer | null {
  if (x == null) return null;
  if (Buffer.isBuffer(x)) return x;
  return Buffer.concat(x as readonly Buffer[]);
}

export { ProtocolDecodeError };
