// The raft log on @gregor/storage (KRaft-style: the metadata log is an ordinary partition log).
// Raft index i is Kafka offset i-1; each entry is its own v2 record batch whose
// partitionLeaderEpoch is the entry's term (so truncation is exact at any index); a no-op entry
// has a one-byte key. Hard state and snapshots live in files next to the log directory.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { decodeRecordBatch, encodeRecordBatch, TimestampType } from "@gregor/protocol";
import { Log, type LogConfig } from "@gregor/storage";
import { assert } from "@gregor/protocol/util";
import type { Entry, HardState, Snapshot } from "../core/types.js";
import { HardStateFile, loadLatestSnapshot, removeTempFiles, saveSnapshotFile } from "./files.js";
import type { RaftLogStore } from "./log-store.js";

const NOOP_KEY = Buffer.from([1]);
const READ_CHUNK_BYTES = 4 << 20;

function encodeEntry(e: Entry): Buffer {
  return encodeRecordBatch({
    baseOffset: BigInt(e.index - 1),
    partitionLeaderEpoch: e.term,
    timestampType: TimestampType.CreateTime,
    records: [
      {
        key: e.type === "noop" ? NOOP_KEY : null,
        value: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
        timestamp: 0,
      },
    ],
  });
}

function decodeEntries(buf: Buffer, out: Entry[]): void {
  let pos = 0;
  while (pos < buf.length) {
    const b = decodeRecordBatch(buf, pos);
    const r = b.records[0];
    assert(r !== undefined && b.records.length === 1, "raft batches hold exactly one record");
    out.push({
      term: b.partitionLeaderEpoch,
      index: Number(b.baseOffset) + 1,
      type: r.key !== null && r.key.length === 1 ? "noop" : "normal",
      data: r.value ?? new Uint8Array(0),
    });
    pos += 12 + b.batchLength;
  }
}

export class StorageLogStore implements RaftLogStore {
  private log: Log | null = null;
  private snapshotIndex = 0;
  private readonly hard: HardStateFile;

  private constructor(
    readonly dir: string,
    private readonly config: Partial<LogConfig>,
  ) {
    this.hard = new HardStateFile(dir);
  }

  /** `dir` holds the hard state and snapshots; the log itself is `dir/__raft_log-0`. */
  static async open(dir: string, config: Partial<LogConfig> = {}): Promise<StorageLogStore> {
    await mkdir(dir, { recursive: true });
    return new StorageLogStore(dir, config);
  }

  private get l(): Log {
    assert(this.log !== null, "store not loaded");
    return this.log;
  }

  private lastIndex(): number {
    return Math.max(this.snapshotIndex, this.l.logEndOffset);
  }

  async load(): Promise<{ hardState: HardState; snapshot: Snapshot | null; entries: Entry[] }> {
    await removeTempFiles(this.dir);
    const hardState = await this.hard.load();
    const snapshot = await loadLatestSnapshot(this.dir);
    this.snapshotIndex = snapshot?.meta.index ?? 0;
    // Raft decides durability itself (sync()), so no time/size-based flushing or retention.
    this.log = await Log.open(join(this.dir, "__raft_log-0"), {
      retentionMs: -1,
      retentionBytes: -1,
      ...this.config,
      flushMessages: Infinity,
      flushMs: Infinity,
    });
    const entries = await this.read(this.snapshotIndex + 1, this.l.logEndOffset + 1);
    const contiguous: Entry[] = [];
    for (const e of entries) {
      if (e.index !== this.snapshotIndex + contiguous.length + 1) break;
      contiguous.push(e);
    }
    if (contiguous.length < entries.length) {
      await this.l.truncateTo(this.snapshotIndex + contiguous.length);
    }
    return { hardState, snapshot, entries: contiguous };
  }

  async append(entries: Entry[]): Promise<void> {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.l.logEndOffset) await this.truncateSuffix(first.index);
    assert(first.index === this.lastIndex() + 1, `append at ${first.index} after ${this.lastIndex()}`);
    // Offsets may jump past the log end after a snapshot from the leader: a follower append
    // keeps the offsets in the batches.
    await this.l.appendAsFollower(Buffer.concat(entries.map(encodeEntry)));
  }

  async truncateSuffix(fromIndex: number): Promise<void> {
    if (fromIndex > this.l.logEndOffset) return;
    await this.l.truncateTo(fromIndex - 1);
  }

  async read(lo: number, hi: number): Promise<Entry[]> {
    const out: Entry[] = [];
    let offset = Math.max(lo - 1, this.l.logStartOffset, this.snapshotIndex);
    const end = Math.min(hi - 1, this.l.logEndOffset);
    while (offset < end) {
      const r = await this.l.read(offset, READ_CHUNK_BYTES, end);
      if (r.buffers.length === 0) break;
      const before = out.length;
      for (const b of r.buffers) decodeEntries(b, out);
      if (out.length === before) break;
      offset = out[out.length - 1]!.index; // next offset = last index
    }
    return out.filter((e) => e.index >= lo && e.index < hi);
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.meta.index;
    if (index <= this.snapshotIndex) return;
    await saveSnapshotFile(this.dir, snapshot);
    this.snapshotIndex = index;
    // Drop the prefix the snapshot covers (whole segments go; Kafka's DeleteRecords).
    await this.l.deleteRecordsBefore(Math.min(index, this.l.logEndOffset));
  }

  async saveHardState(hardState: HardState): Promise<void> {
    this.hard.set(hardState);
  }

  async sync(): Promise<void> {
    await this.l.flush();
    await this.hard.flush(false);
  }

  async close(): Promise<void> {
    if (this.log === null) return;
    await this.hard.flush(true);
    await this.log.close();
    this.log = null;
  }
}
