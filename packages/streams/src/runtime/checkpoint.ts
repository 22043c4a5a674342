// Checkpoints (Kafka's state.dir): on a clean close each task writes its stores' contents
// (as changelog records) and, in a `.checkpoint` file, the changelog offset they correspond to.
// A task starting on the same instance loads the snapshot and replays the changelog only from that
// offset, so a clean restart restores (almost) nothing. The files are deleted once loaded: a crash
// after that finds no checkpoint and restores the whole changelog, as an unclean shutdown must.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ManagedStore } from "../state/store-base.js";

/** `<stateDir>/<application.id>/<taskId>`, as Kafka lays it out. */
export function taskDir(stateDir: string, applicationId: string, taskId: string): string {
  return join(stateDir, applicationId, taskId);
}

function encode(entries: { key: Buffer; value: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { key, value } of entries) {
    const head = Buffer.allocUnsafe(8);
    head.writeInt32BE(key.length, 0);
    head.writeInt32BE(value.length, 4);
    parts.push(head, key, value);
  }
  return Buffer.concat(parts);
}

function decode(data: Buffer, apply: (key: Buffer, value: Buffer) => void): number {
  let at = 0;
  let n = 0;
  while (at + 8 <= data.length) {
    const keyLength = data.readInt32BE(at);
    const valueLength = data.readInt32BE(at + 4);
    const key = data.subarray(at + 8, at + 8 + keyLength);
    const value = data.subarray(at + 8 + keyLength, at + 8 + keyLength + valueLength);
    if (value.length !== valueLength) throw new Error("truncated store snapshot");
    apply(key, value);
    at += 8 + keyLength + valueLength;
    n++;
  }
  return n;
}

/** Writes snapshots and the checkpoint (`topic partition offset` lines, Kafka's format, version 0). */
export function writeCheckpoint(
  dir: string,
  stores: { store: ManagedStore; topic: string; offset: bigint }[],
  partition: number,
): void {
  mkdirSync(dir, { recursive: true });
  for (const { store } of stores) writeFileSync(join(dir, `${store.name}.snapshot`), encode(store.snapshot()));
  const lines = ["0", String(stores.length), ...stores.map((s) => `${s.topic} ${partition} ${s.offset}`)];
  // Written last and renamed into place: a checkpoint file means every snapshot is complete.
  writeFileSync(join(dir, ".checkpoint.tmp"), `${lines.join("\n")}\n`);
  renameSync(join(dir, ".checkpoint.tmp"), join(dir, ".checkpoint"));
}

/**
 * Loads snapshots into `stores` if a checkpoint exists; returns the changelog offset to resume
 * each topic from (topics without one restore from the start), and removes the files.
 */
export function loadCheckpoint(
  dir: string,
  stores: { store: ManagedStore; topic: string }[],
): { offsets: Map<string, bigint>; records: number } {
  const offsets = new Map<string, bigint>();
  const file = join(dir, ".checkpoint");
  if (!existsSync(file)) return { offsets, records: 0 };
  let records = 0;
  try {
    records = loadSnapshots(file, dir, stores, offsets);
  } catch {
    // A damaged checkpoint: forget what was loaded and restore from the changelog.
    for (const { store } of stores) store.close();
    offsets.clear();
    records = 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { offsets, records };
}

function loadSnapshots(
  file: string,
  dir: string,
  stores: { store: ManagedStore; topic: string }[],
  offsets: Map<string, bigint>,
): number {
  let records = 0;
  {
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const byTopic = new Map<string, bigint>();
    for (const line of lines.slice(2)) {
      const [topic, , offset] = line.split(" ");
      if (topic !== undefined && offset !== undefined) byTopic.set(topic, BigInt(offset));
    }
    for (const { store, topic } of stores) {
      const offset = byTopic.get(topic);
      const snapshot = join(dir, `${store.name}.snapshot`);
      if (offset === undefined || !existsSync(snapshot)) continue;
      records += decode(readFileSync(snapshot), (k, v) => store.restore(k, v));
      offsets.set(topic, offset);
    }
  }
  return records;
}
