// Small durable-file helpers shared by the log stores: CRC-framed records, atomic file
// replacement, the hard-state file and snapshot files.
import { open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { HardState, Snapshot } from "../core/types.js";
import { decodeHardState, encodeHardState, packr, snapshotFromTuple, snapshotToTuple } from "./codec.js";

const HEADER_BYTES = 8; // u32 payload length, u32 crc32(payload)
const MAX_RECORD_BYTES = 256 << 20;
const HARD_STATE_FILE = "hardstate";
/** Commit-only hard-state changes are written at most this often (commit is advisory). */
const COMMIT_WRITE_INTERVAL_MS = 1000;

export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** Parse CRC-framed records; stops at the first torn or corrupt one (a crash mid-write). */
export function parseRecords(buf: Buffer): { payloads: Buffer[]; offsets: number[]; validBytes: number } {
  const payloads: Buffer[] = [];
  const offsets: number[] = [];
  let pos = 0;
  while (pos + HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32BE(pos);
    if (len > MAX_RECORD_BYTES || pos + HEADER_BYTES + len > buf.length) break;
    const payload = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len);
    if (crc32(payload) !== buf.readUInt32BE(pos + 4)) break;
    payloads.push(payload);
    offsets.push(pos);
    pos += HEADER_BYTES + len;
  }
  return { payloads, offsets, validBytes: pos };
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replace `name` atomically: write a temp file, fsync it, rename it, fsync the directory. */
export async function writeFileDurably(dir: string, name: string, data: Buffer): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

export async function removeTempFiles(dir: string): Promise<void> {
  for (const f of await readdir(dir)) if (f.endsWith(".tmp")) await rm(join(dir, f), { force: true });
}

function snapshotName(index: number): string {
  return `${String(index).padStart(20, "0")}.snapshot`;
}

/** The newest intact snapshot file in `dir`, if any. */
export async function loadLatestSnapshot(dir: string): Promise<Snapshot | null> {
  const snaps = (await readdir(dir)).filter((f) => f.endsWith(".snapshot")).sort();
  for (let k = snaps.length - 1; k >= 0; k--) {
    const p = parseRecords(await readFile(join(dir, snaps[k]!))).payloads[0];
    if (p !== undefined) return snapshotFromTuple(packr.unpack(p));
  }
  return null;
}

/** Write a snapshot file durably, then delete older ones. */
export async function saveSnapshotFile(dir: string, snapshot: Snapshot): Promise<void> {
  const name = snapshotName(snapshot.meta.index);
  await writeFileDurably(dir, name, frame(packr.pack(snapshotToTuple(snapshot))));
  for (const f of await readdir(dir)) {
    if (f.endsWith(".snapshot") && f !== name) await rm(join(dir, f), { force: true });
  }
}

/**
 * The hard-state file. Term and vote are written (atomically, fsynced) on every change before
 * `flush` returns — Raft paper Figure 2 requires them durable before answering. A commit-only
 * change is written at most once a second: commit is recoverable from the leader and clamped
 * to the log at load.
 */
export class HardStateFile {
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  private durable: HardState = { term: 0, vote: 0, commit: 0 };
  private lastWriteMs = 0;

  constructor(private readonly dir: string) {}

  async load(): Promise<HardState> {
    const buf = await readFile(join(this.dir, HARD_STATE_FILE)).catch(() => Buffer.alloc(0));
    const p = parseRecords(buf).payloads[0];
    if (p !== undefined) this.hard = this.durable = decodeHardState(p);
    return { ...this.hard };
  }

  set(hs: HardState): void {
    this.hard = { ...hs };
  }

  async flush(force: boolean): Promise<void> {
    const h = this.hard;
    const d = this.durable;
    const now = performance.now();
    const voteChanged = h.term !== d.term || h.vote !== d.vote;
    const commitDue = h.commit !== d.commit && (force || now - this.lastWriteMs >= COMMIT_WRITE_INTERVAL_MS);
    if (!voteChanged && !commitDue) return;
    await writeFileDurably(this.dir, HARD_STATE_FILE, frame(encodeHardState(h)));
    this.durable = { ...h };
    this.lastWriteMs = now;
  }
}
