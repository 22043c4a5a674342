// What the replica fetchers report, as pino lines: info for partitions added, removed and
// truncated; warn for errors, at most one line per fetcher and kind of error every few seconds (a
// leader that is down would otherwise log every replica.fetch.backoff.ms for every partition).
import type { FetcherEvents, TopicPartition } from "@gregor/replication";
import type { Logger } from "pino";

const WARN_INTERVAL_MS = 10_000;
/** Distinct error kinds remembered per fetcher (bounded: messages carry offsets). */
const MAX_KINDS = 256;

export function fetcherEvents(logger: Logger, source: number, fetcherId: number, nowMs: () => number): FetcherEvents {
  const lastWarned = new Map<string, { atMs: number; suppressed: number }>();
  const context = { leader: source, fetcherId };
  return {
    onTruncate(tp, fromOffset, toOffset, reason) {
      logger.info({ ...context, ...tpFields(tp), fromOffset, toOffset, reason }, "replica truncated");
    },
    onPaused(tp, errorCode) {
      logger.info({ ...context, ...tpFields(tp), errorCode }, "replica fetch paused until a newer leader epoch");
    },
    onError(tp, message, err) {
      const kind = message.replace(/\d+/g, "#");
      const now = nowMs();
      const seen = lastWarned.get(kind);
      if (seen !== undefined && now - seen.atMs < WARN_INTERVAL_MS) {
        seen.suppressed++;
        return;
      }
      if (lastWarned.size >= MAX_KINDS) lastWarned.clear();
      lastWarned.set(kind, { atMs: now, suppressed: 0 });
      const suppressed = seen?.suppressed ?? 0;
      logger.warn(
        { ...context, ...(tp === null ? {} : tpFields(tp)), err, ...(suppressed > 0 ? { suppressed } : {}) },
        `replica fetcher: ${message}`,
      );
    },
  };
}

function tpFields(tp: TopicPartition): { topic: string; partition: number } {
  return { topic: tp.topic, partition: tp.partition };
}
