// A simple durable raft log: one append-only file of CRC-framed msgpackr entries, a hard-state
// file replaced atomically (write temp, fsync, rename, fsync dir), and snapshot files.
import { mkdir, open, readdir, readFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { assert } from "@gregor/protocol/util";
import type { Entry, HardState, Snapshot } from "../core/types.js";
import { entryFromTuple, entryToTuple, packr } from "./codec.js";
import {
  frame,
  HardStateFile,
  loadLatestSnapshot,
  parseRecords,
  removeTempFiles,
  saveSnapshotFile,
  writeFileDurably,
} from "./files.js";
import type { RaftLogStore } from "./log-store.js";

const LOG_FILE = "raft.log";

export class FileLogStore implements RaftLogStore {
  private fh: FileHandle | null = null;
  private snapshotIndex = 0;
  /** File position of each stored entry, for snapshotIndex+1 ... */
  private offsets: number[] = [];
  private endPos = 0;
  private readonly hard: HardStateFile;

  private constructor(readonly dir: string) {
    this.hard = new HardStateFile(dir);
  }

  static async open(dir: string): Promise<FileLogStore> {
    await mkdir(dir, { recursive: true });
    return new FileLogStore(dir);
  }

  private lastIndex(): number {
    return this.snapshotIndex + this.offsets.length;
  }

  async load(): Promise<{ hardState: HardState; snapshot: Snapshot | null; entries: Entry[] }> {
    await removeTempFiles(this.dir);
    const hardState = await this.hard.load();
    const snapshot = await loadLatestSnapshot(this.dir);
    this.snapshotIndex = snapshot?.meta.index ?? 0;
    const exists = (await readdir(this.dir)).includes(LOG_FILE);
    const buf = exists ? await readFile(join(this.dir, LOG_FILE)) : Buffer.alloc(0);
    const parsed = parseRecords(buf);
    const entries: Entry[] = [];
    let needRewrite = !exists || parsed.validBytes !== buf.length;
    for (const p of parsed.payloads) {
      const e = entryFromTuple(packr.unpack(p));
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
    await this.rewrite(entries, needRewrite);
    return { hardState, snapshot, entries };
  }

  /** (Re)open the log file; with `fresh`, first replace it with exactly `entries`. */
  private async rewrite(entries: Entry[], fresh: boolean): Promise<void> {
    await this.fh?.close();
    this.fh = null;
    const records = entries.map((e) => frame(packr.pack(entryToTuple(e))));
    if (fresh) await writeFileDurably(this.dir, LOG_FILE, Buffer.concat(records));
    this.offsets = [];
    let pos = 0;
    for (const r of records) {
      this.offsets.push(pos);
      pos += r.length;
    }
    this.endPos = pos;
    this.fh = await open(join(this.dir, LOG_FILE), "a+");
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
    await this.fh!.write(records.length === 1 ? records[0]! : Buffer.concat(records));
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
    const end =
      hi - this.snapshotIndex - 1 < this.offsets.length ? this.offsets[hi - this.snapshotIndex - 1]! : this.endPos;
    const buf = Buffer.allocUnsafe(end - start);
    await this.fh!.read(buf, 0, buf.length, start);
    return parseRecords(buf).payloads.map((p) => entryFromTuple(packr.unpack(p)));
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.meta.index;
    if (index <= this.snapshotIndex) return;
    await saveSnapshotFile(this.dir, snapshot);
    // Keep the entries after the snapshot (if the log reaches that far), drop the rest.
    const kept = index < this.lastIndex() ? await this.read(index + 1, this.lastIndex() + 1) : [];
    this.snapshotIndex = index;
    await this.rewrite(kept, true);
  }

  async saveHardState(hardState: HardState): Promise<void> {
    this.hard.set(hardState);
  }

  /** fdatasync the log, then the hard state (term/vote always; commit at most once a second). */
  async sync(): Promise<void> {
    await this.fh!.datasync();
    await this.hard.flush(false);
  }

  async close(): Promise<void> {
    if (this.fh === null) return;
    await this.hard.flush(true);
    await this.fh.close();
    this.fh = null;
  }
}
