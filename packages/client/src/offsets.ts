// ListOffsets against partition leaders: earliest (-2), latest (-1), or the first offset whose
// timestamp is >= a given time. Shared by the consumer (position resets) and admin.
import { ApiKey, type ListOffsetsResponse } from "@gregor/protocol";
import type { Cluster } from "./cluster.js";
import { KafkaProtocolError, isStaleMetadataCode } from "./errors.js";
import { backoffMs, sleep } from "./internal/backoff.js";
import { groupBy } from "./internal/group-by.js";

export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

export interface OffsetQuery {
  topic: string;
  partition: number;
  /** -2n earliest, -1n latest, else milliseconds since the epoch. */
  timestamp: bigint;
}

export interface OffsetAnswer extends OffsetQuery {
  /** -1n when no record has a timestamp at or after the one asked for. */
  offset: bigint;
  leaderEpoch: number;
  /** The found record's timestamp (-1n for earliest/latest). */
  foundTimestamp: bigint;
}

export async function listOffsets(
  cluster: Cluster,
  queries: readonly OffsetQuery[],
  isolationLevel = 0,
): Promise<OffsetAnswer[]> {
  const out: OffsetAnswer[] = [];
  let pending = [...queries];
  const retry = cluster.options.retry;
  for (let attempt = 0; pending.length > 0; attempt++) {
    await cluster.topicMetadata([...new Set(pending.map((q) => q.topic))], false);
    const byLeader = new Map<number, OffsetQuery[]>();
    for (const q of pending) {
      const leader = cluster.leaderOf(q.topic, q.partition);
      if (leader < 0) throw new KafkaProtocolError(3, `${q.topic}-${q.partition}`);
      let l = byLeader.get(leader);
      if (!l) {
        l = [];
        byLeader.set(leader, l);
      }
      l.push(q);
    }
    const again: OffsetQuery[] = [];
    let lastErr: Error | null = null;
    await Promise.all(
      [...byLeader].map(async ([leader, qs]) => {
        const byTopic = groupBy(qs, (item) => item.topic);
        const c = await cluster.broker(leader);
        // v4/v5 only add currentLeaderEpoch (we send -1); librdkafka's mock cluster mis-parses v4/v5
        // requests with several partitions, so non-flexible brokers get v3 at most.
        const best = c.version(ApiKey.ListOffsets);
        const v = Math.max(1, best >= 6 ? best : Math.min(best, 3));
        const res = await c.request<ListOffsetsResponse>(
          ApiKey.ListOffsets,
          {
            replicaId: -1,
            isolationLevel,
            timeoutMs: cluster.options.requestTimeoutMs,
            topics: [...byTopic].map(([name, ps]) => ({
              name,
              partitions: ps.map((q) => ({
                partitionIndex: q.partition,
                currentLeaderEpoch: -1,
                timestamp: q.timestamp,
                maxNumOffsets: 1,
              })),
            })),
          },
          { apiVersion: v },
        );
        const answered = new Set<OffsetQuery>();
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const q = qs.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
            if (!q) continue;
            answered.add(q);
            if (p.errorCode !== 0) {
              const e = new KafkaProtocolError(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`);
              if (isStaleMetadataCode(p.errorCode)) cluster.invalidate(t.name);
              if (!e.retriable) throw e;
              lastErr = e;
              again.push(q);
              continue;
            }
            out.push({
              ...q,
              offset: p.offset ?? p.oldStyleOffsets?.[0] ?? -1n,
              leaderEpoch: p.leaderEpoch ?? -1,
              foundTimestamp: p.timestamp ?? -1n,
            });
          }
        }
        for (const q of qs) {
          if (answered.has(q)) continue;
          lastErr = new KafkaProtocolError(-1, `ListOffsets: no answer for ${q.topic}-${q.partition}`);
          again.push(q);
        }
      }),
    );
    if (again.length > 0 && attempt >= retry.retries) throw lastErr ?? new KafkaProtocolError(-1);
    if (again.length > 0) await sleep(backoffMs(attempt, retry.initialRetryTimeMs, retry.maxRetryTimeMs));
    pending = again;
  }
  return out;
}
