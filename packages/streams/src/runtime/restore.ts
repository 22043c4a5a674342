// Restore: before a task processes anything, its stores replay their changelog partitions from the
// start to the end offset read when restoring began (Kafka's StoreChangelogReader). Stores are in
// memory, so every restore is a full replay; the changelogs are compacted, which bounds it by the
// number of live keys rather than the number of updates.
import { type Consumer, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from "@gregor/client";
import type { StreamTask } from "./task.js";

export interface RestoreResult {
  records: number;
  ms: number;
}

/**
 * Replays `task`'s changelogs into its stores with `consumer` (assign mode, no group), stopping
 * early when `cancelled()` turns true (the task was revoked meanwhile).
 */
export async function restoreTask(
  consumer: Consumer,
  task: StreamTask,
  cancelled: () => boolean,
  /** Changelog offsets a checkpoint already covers (restore starts there instead of the beginning). */
  from: ReadonlyMap<string, bigint> = new Map(),
): Promise<RestoreResult> {
  const started = Date.now();
  const changelogs = task.changelogs();
  if (changelogs.length === 0) return { records: 0, ms: 0 };
  const partition = task.partition;
  const queries = changelogs.flatMap((c) => [
    { topic: c.topic, partition, timestamp: EARLIEST_TIMESTAMP },
    { topic: c.topic, partition, timestamp: LATEST_TIMESTAMP },
  ]);
  const answers = await listOffsets(consumer.cluster, queries);
  const offsetOf = (topic: string, ts: bigint) =>
    answers.find((a) => a.topic === topic && a.timestamp === ts)?.offset ?? 0n;
  const pending = new Map<
    string,
    { start: bigint; end: bigint; restore: (key: Buffer, value: Buffer | null) => void }
  >();
  for (const c of changelogs) {
    const end = offsetOf(c.topic, LATEST_TIMESTAMP);
    const earliest = offsetOf(c.topic, EARLIEST_TIMESTAMP);
    const checkpointed = from.get(c.topic);
    const start = checkpointed !== undefined && checkpointed > earliest ? checkpointed : earliest;
    if (end > start) pending.set(c.topic, { start, end, restore: (k, v) => c.store.restore(k, v) });
  }
  if (pending.size === 0) return { records: 0, ms: Date.now() - started };
  consumer.assign([...pending].map(([topic, p]) => ({ topic, partition, offset: p.start })));
  let records = 0;
  try {
    while (pending.size > 0 && !cancelled()) {
      const batch = await consumer.nextBatch({ timeoutMs: 200 });
      if (batch === null) continue;
      const target = pending.get(batch.topic);
      if (target === undefined) continue;
      for (const m of batch.messages) {
        if (m.offset >= target.end) break;
        if (m.key !== null) target.restore(m.key, m.value);
        records++;
      }
      if (batch.nextOffset >= target.end) pending.delete(batch.topic);
    }
  } finally {
    consumer.assign([]);
  }
  return { records, ms: Date.now() - started };
}
