// A simple durable raft log: one append-only file of CRC-framed msgpackr entries, a hard-state
// file replaced atomically (write temp, fsync, rename, fsync dir), and snapshot files.
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { assert, type Entry, type HardState, type Snapshot } from "../core/types.js";
import { decodeHardState, encodeHardState, entryFromTuple, entryToTuple, packr, snapshotFromTuple, snapshotToTuple } from "./codec.js";
import type { RaftLogStore } from "./log-store.js";

const LOG_FILE = "raft.log";
const HARD_STATE_FILE = "hardstate";
const HEADER_BYTES = 8; // u32 payload length, u32 crc32(payload)
const MAX_RECORD_BYTES = 256 << 20;
/** Commit-only hard-state changes are written at most this often (commit is advisory). */
const COMMIT_WRITE_INTERVAL_MS = 1000;

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** Parse CRC-framed records; stops at the first torn or corrupt one (a crash mid-write). */
function parseRecords(buf: Buffer): { payloads: Buffer[]; offsets: number[]; validBytes: number } {
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

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeFileDurably(dir: string, name: string, data: Buffer): Promise<void> {
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

function snapshotName(index: number): string {
  return `${String(index).padStart(20, "0")}.snapshot`;
}

export class FileLogStore implements RaftLogStore {
  private fh: FileHandle | null = null;
  private snapshotIndex = 0;
  /** File position of each stored entry, for snapshotIndex+1 ... */
  private offsets: number[] = [];
  private endPos = 0;
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  private durableHard: HardState = { term: 0, vote: 0, commit: 0 };
  private lastHardWriteMs = 0;

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<FileLogStore> {
    await mkdir(dir, { recursive: true });
    return new FileLogStore(dir);
  }

  private lastIndex(): number {
    return this.snapshotIndex + this.offsets.length;
  }

  async load(): Promise<{ hardState: HardState; snapshot: Snapshot | null; entries: Entry[] }> {
    const files = await readdir(this.dir);
    for (const f of files) if (f.endsWith(".tmp")) await rm(join(this.dir, f), { force: true });
    if (files.includes(HARD_STATE_FILE)) {
      const parsed = parseRecords(await readFile(join(this.dir, HARD_STATE_FILE)));
      const p = parsed.payloads[0];
      if (p !== undefined) this.hard = this.durableHard = decodeHardState(p);
    }
    let snapshot: Snapshot | null = null;
    const snaps = files.filter((f) => f.endsWith(".snapshot")).sort();
    for (let k = snaps.length - 1; k >= 0 && snapshot === null; k--) {
      const parsed = parseRecords(await readFile(join(this.dir, snaps[k]!)));
      const p = parsed.payloads[0];
      if (p !== undefined) snapshot = snapshotFromTuple(packr.unpack(p));
    }
    this.snapshotIndex = snapshot?.meta.index ?? 0;
    const buf = files.includes(LOG_FILE) ? await readFile(join(this.dir, LOG_FILE)) : Buffer.alloc(0);
    const parsed = parseRecords(buf);
    const entries: Entry[] = [];
    let needRewrite = parsed.validBytes !== buf.length;
    for (let k = 0; k < parsed.payloads.length; k++) {
      const e = entryFromTuple(packr.unpack(parsed.payloads[k]!));
      if (e.index <= this.snapshotIndex) {
        needRewrite = true; // crashed between saving a snapshot and compacting the log
        continue;
      }
      if (e.index !== this.snapshotIndex + entries.length + 1) {
        needRewrite = true;
        break;
      }
      entries.push(e);
    }
    await this.rewrite(entries, needRewrite || !files.includes(LOG_FILE));
    return { hardState: { ...this.hard }, snapshot, entries };
  }

  /** (Re)open the log file; with `fresh`, first replace it with exactly `entries`. */
  private async rewrite(entries: Entry[], fresh: boolean): Promise<void> {
    await this.fh?.close();
    this.fh = null;
    const path = join(this.dir, LOG_FILE);
    const records = entries.map((e) => frame(packr.pack(entryToTuple(e))));
    if (fresh) await writeFileDurably(this.dir, LOG_FILE, Buffer.concat(records));
    this.offsets = [];
    let pos = 0;
    for (const r of records) {
      this.offsets.push(pos);
      pos += r.length;
    }
    this.endPos = pos;
    this.fh = await open(path, "a+");
  }

  async append(entries: Entry[]): Promise<void> {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.lastIndex()) await this.truncateSuffix(first.index);
    assert(first.index === this.lastIndex() + 1, `append at ${first.index} after ${this.lastIndex()}`);
    const records: Buffer[] = [];
    let pos = this.endPos;
    for (const e of entries) {
      const r = frame(packr.pack(entryToTuple(e)));
      records.push(r);
      this.offsets.push(pos);
      pos += r.length;
    }
    const buf = records.length === 1 ? records[0]! : Buffer.concat(records);
    await this.fh!.write(buf);
    this.endPos = pos;
  }

  async truncateSuffix(fromIndex: number): Promise<void> {
    if (fromIndex > this.lastIndex()) return;
    assert(fromIndex > this.snapshotIndex, `truncate at ${fromIndex} below snapshot ${this.snapshotIndex}`);
    const k = fromIndex - this.snapshotIndex - 1;
    this.endPos = this.offsets[k]!;
    this.offsets.length = k;
    await this.fh!.truncate(this.endPos);
  }

  async read(lo: number, hi: number): Promise<Entry[]> {
    lo = Math.max(lo, this.snapshotIndex + 1);
    hi = Math.min(hi, this.lastIndex() + 1);
    if (lo >= hi) return [];
    const start = this.offsets[lo - this.snapshotIndex - 1]!;
    const end = hi - this.snapshotIndex - 1 < this.offsets.length ? this.offsets[hi - this.snapshotIndex - 1]! : this.endPos;
    const buf = Buffer.allocUnsafe(end - start);
    await this.fh!.read(buf, 0, buf.length, start);
    return parseRecords(buf).payloads.map((p) => entryFromTuple(packr.unpack(p)));
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.meta.index;
    if (index <= this.snapshotIndex) return;
    await writeFileDurably(this.dir, snapshotName(index), frame(packr.pack(snapshotToTuple(snapshot))));
    // Keep the entries after the snapshot (if the log reaches that far), drop the rest.
    const kept = index < this.lastIndex() ? await this.read(index + 1, this.lastIndex() + 1) : [];
    this.snapshotIndex = index;
    await this.rewrite(kept, true);
    for (const f of await readdir(this.dir)) {
      if (f.endsWith(".snapshot") && f !== snapshotName(index)) await rm(join(this.dir, f), { force: true });
    }
  }

  async saveHardState(hardState: HardState): Promise<void> {
    this.hard = { ...hardState };
  }

  /**
   * fdatasync the log, then write the hard state if term or vote changed (Figure 2: they must
   * be durable before we answer). A commit-only change is written at most once a second:
   * commit is recoverable from the leader, and it is clamped to the log at load.
   */
  async sync(): Promise<void> {
    await this.fh!.datasync();
    const h = this.hard;
    const d = this.durableHard;
    const now = performance.now();
    const voteChanged = h.term !== d.term || h.vote !== d.vote;
    if (voteChanged || (h.commit !== d.commit && now - this.lastHardWriteMs >= COMMIT_WRITE_INTERVAL_MS)) {
      await writeFileDurably(this.dir, HARD_STATE_FILE, frame(encodeHardState(h)));
      this.durableHard = { ...h };
      this.lastHardWriteMs = now;
    }
  }

  async close(): Promise<void> {
    if (this.fh === null) return;
    const h = this.hard;
    if (h.term !== this.durableHard.term || h.vote !== this.durableHard.vote || h.commit !== this.durableHard.commit) {
      await writeFileDurably(this.dir, HARD_STATE_FILE, frame(encodeHardState(h)));
    }
    await this.fh.close();
    this.fh = null;
  }
}
