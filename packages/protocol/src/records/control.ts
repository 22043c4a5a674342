// Control records (KIP-98 transaction markers). A control batch has the control and
// transactional attribute bits set and holds one record whose
//   key   = version int16 (0) | type int16 (0 abort, 1 commit)
//   value = EndTxnMarker: version int16 (0) | coordinatorEpoch int32
import { CorruptRecordError } from "./errors.js";
import { TimestampType, type RecordBatchInput } from "./record-batch.js";
import type { DecodedRecord } from "./records.js";

export const ControlRecordType = { Abort: 0, Commit: 1 } as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export const CONTROL_RECORD_KEY_BYTES = 4;
export const END_TXN_MARKER_BYTES = 6;

export function encodeControlRecordKey(type: ControlRecordType, version = 0): Buffer {
  const b = Buffer.allocUnsafe(CONTROL_RECORD_KEY_BYTES);
  b.writeInt16BE(version, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/** Reads a control record key. Unknown types are returned as they are (Kafka ignores them). */
export function decodeControlRecordKey(key: Uint8Array | null): { version: number; type: number } {
  if (key === null || key.length < CONTROL_RECORD_KEY_BYTES) {
    throw new CorruptRecordError(`control record key of ${key?.length ?? "null"} bytes`, "controlRecord.key", 0);
  }
  const b = Buffer.from(key.buffer, key.byteOffset, key.length);
  const version = b.readInt16BE(0);
  if (version < 0)
    throw new CorruptRecordError(`control record key version ${version}`, "controlRecord.key.version", 0);
  return { version, type: b.readInt16BE(2) };
}

export function encodeEndTxnMarker(coordinatorEpoch: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(END_TXN_MARKER_BYTES);
  b.writeInt16BE(version, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export function decodeEndTxnMarker(value: Uint8Array | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < END_TXN_MARKER_BYTES) {
    throw new CorruptRecordError(`end-transaction marker of ${value?.length ?? "null"} bytes`, "endTxnMarker", 0);
  }
  const b = Buffer.from(value.buffer, value.byteOffset, value.length);
  const version = b.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`end-transaction marker version ${version}`, "endTxnMarker.version", 0);
  return { version, coordinatorEpoch: b.readInt32BE(2) };
}

export interface ControlBatchInput {
  type: ControlRecordType;
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  timestamp: number;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/** The RecordBatchInput of a transaction marker batch; pass it to encodeRecordBatch. */
export function controlBatchInput(m: ControlBatchInput): RecordBatchInput {
  return {
    baseOffset: m.baseOffset ?? 0n,
    partitionLeaderEpoch: m.partitionLeaderEpoch ?? -1,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    transactional: true,
    isControl: true,
    timestampType: TimestampType.CreateTime,
    records: [
      { key: encodeControlRecordKey(m.type), value: encodeEndTxnMarker(m.coordinatorEpoch), timestamp: m.timestamp },
    ],
  };
}

/** The marker carried by a decoded control record. */
export function decodeControlRecord(r: DecodedRecord): { type: number; coordinatorEpoch: number } {
  const key = decodeControlRecordKey(r.key);
  return { type: key.type, coordinatorEpoch: decodeEndTxnMarker(r.value).coordinatorEpoch };
}
