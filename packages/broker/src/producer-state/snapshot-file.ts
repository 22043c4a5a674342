// Producer-state snapshots beside a partition's segments: `<20-digit offset>.snapshot`, Kafka's
// file name (ProducerStateManager), holding the state of every batch below that offset. The
// format is our own: version, CRC-32 of the rest, then per producer its epoch, last timestamp,
// open transaction's first offset and up to 5 batches (Kafka's snapshot keeps only the last one;
// keeping 5 lets a restart still answer any of a producer's in-flight retries as duplicates).
// Written to a temp file, fsynced, renamed: a reader sees a whole snapshot or none.
import { open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { SnapshotEntry } from "./producer-state.js";

export const SNAPSHOT_SUFFIX = ".snapshot";
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;
const TEMP_FILE = /^\d{20}\.snapshot\.tmp$/;
const VERSION = 1;
const HEADER_BYTES = 2 + 4 + 4;
const ENTRY_BYTES = 8 + 2 + 8 + 8 + 1;
const BATCH_BYTES = 4 + 4 + 8 + 8;

export function snapshotFileName(offset: number): string {
  return `${String(offset).padStart(20, "0")}${SNAPSHOT_SUFFIX}`;
}

export function encodeSnapshot(entries: readonly SnapshotEntry[]): Buffer {
  let size = HEADER_BYTES;
  for (const e of entries) size += ENTRY_BYTES + e.batches.length * BATCH_BYTES;
  const buf = Buffer.alloc(size);
  buf.writeInt16BE(VERSION, 0);
  buf.writeInt32BE(entries.length, 6);
  let pos = HEADER_BYTES;
  for (const e of entries) {
    pos = buf.writeBigInt64BE(e.producerId, pos);
    pos = buf.writeInt16BE(e.epoch, pos);
    pos = buf.writeBigInt64BE(BigInt(e.lastTimestamp), pos);
    pos = buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), pos);
    pos = buf.writeInt8(e.batches.length, pos);
    for (const b of e.batches) {
      pos = buf.writeInt32BE(b.firstSeq, pos);
      pos = buf.writeInt32BE(b.lastSeq, pos);
      pos = buf.writeBigInt64BE(BigInt(b.baseOffset), pos);
      pos = buf.writeBigInt64BE(BigInt(b.lastOffset), pos);
    }
  }
  buf.writeUInt32BE(crc32(buf.subarray(6)), 2);
  return buf;
}

/** Decodes a snapshot; throws (with what is wrong) on a bad version, CRC or length. */
export function decodeSnapshot(buf: Buffer): SnapshotEntry[] {
  if (buf.length < HEADER_BYTES) throw new Error(`snapshot of ${buf.length} bytes is shorter than its header`);
  const version = buf.readInt16BE(0);
  if (version !== VERSION) throw new Error(`snapshot version ${version}, expected ${VERSION}`);
  if (crc32(buf.subarray(6)) !== buf.readUInt32BE(2)) throw new Error("snapshot CRC mismatch");
  const count = buf.readInt32BE(6);
  const entries: SnapshotEntry[] = [];
  let pos = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (pos + ENTRY_BYTES > buf.length) throw new Error(`snapshot truncated in entry ${i}`);
    const producerId = buf.readBigInt64BE(pos);
    const epoch = buf.readInt16BE(pos + 8);
    const lastTimestamp = Number(buf.readBigInt64BE(pos + 10));
    const currentTxnFirstOffset = Number(buf.readBigInt64BE(pos + 18));
    const batchCount = buf.readInt8(pos + 26);
    pos += ENTRY_BYTES;
    if (batchCount < 0 || pos + batchCount * BATCH_BYTES > buf.length)
      throw new Error(`snapshot truncated in entry ${i}`);
    const batches: SnapshotEntry["batches"] = [];
    for (let j = 0; j < batchCount; j++, pos += BATCH_BYTES) {
      batches.push({
        firstSeq: buf.readInt32BE(pos),
        lastSeq: buf.readInt32BE(pos + 4),
        baseOffset: Number(buf.readBigInt64BE(pos + 8)),
        lastOffset: Number(buf.readBigInt64BE(pos + 16)),
      });
    }
    entries.push({ producerId, epoch, lastTimestamp, currentTxnFirstOffset, batches });
  }
  if (pos !== buf.length) throw new Error(`snapshot has ${buf.length - pos} trailing bytes`);
  return entries;
}

/** Removes half-written snapshots (a crash between write and rename). */
export async function deleteTemporarySnapshots(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) if (TEMP_FILE.test(name)) await rm(join(dir, name), { force: true });
}

/** Offsets of the snapshot files in `dir`, ascending. */
export async function listSnapshots(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const offsets: number[] = [];
  for (const name of names) {
    const m = SNAPSHOT_FILE.exec(name);
    if (m !== null) offsets.push(Number(m[1]));
  }
  return offsets.sort((a, b) => a - b);
}

export async function writeSnapshot(dir: string, offset: number, entries: readonly SnapshotEntry[]): Promise<void> {
  const path = join(dir, snapshotFileName(offset));
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(encodeSnapshot(entries));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function readSnapshot(dir: string, offset: number): Promise<SnapshotEntry[]> {
  return decodeSnapshot(await readFile(join(dir, snapshotFileName(offset))));
}

export async function deleteSnapshot(dir: string, offset: number): Promise<void> {
  await rm(join(dir, snapshotFileName(offset)), { force: true });
}
