// A follower's Fetch as its leader serves it (Kafka's Partition.fetchRecords for a follower):
// checks before the read — the fetcher is a replica of the partition, its last fetched epoch does
// not diverge from the leader's log (KIP-320/595: Fetch v12 lastFetchedEpoch -> divergingEpoch),
// its offset is within the log — then its fetch offset, i.e. its log end offset, moves the HW.
import type { FetchRequestFetchPartition } from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { LeaderPartition } from "../metadata/topic-manager.js";
import type { FetchPartitionResult } from "../server/direct-response.js";
import type { BrokerServices } from "../services.js";

const EMPTY = Buffer.alloc(0);

/** A partition answer that tells the follower where its log diverges from the leader's. */
export interface DivergingPartitionResult extends FetchPartitionResult {
  divergingEpoch?: { epoch: number; endOffset: number };
}

function answer(
  p: LeaderPartition,
  partitionIndex: number,
  errorCode: number,
  divergingEpoch?: { epoch: number; endOffset: number },
): DivergingPartitionResult {
  const log = p.log;
  const result: DivergingPartitionResult = {
    partitionIndex,
    errorCode,
    highWatermark: log.highWatermark,
    lastStableOffset: log.highWatermark,
    logStartOffset: log.logStartOffset,
    abortedNull: errorCode !== ErrorCode.NONE,
    records: EMPTY,
  };
  if (divergingEpoch !== undefined) result.divergingEpoch = divergingEpoch;
  return result;
}

/**
 * The answer for a follower's fetch of `p` when it is not a read (an error, or a diverging epoch),
 * else null after recording the follower's fetch offset: the caller reads from the offset up to the
 * log end.
 */
export function followerFetch(
  s: BrokerServices,
  topic: string,
  p: LeaderPartition,
  fp: FetchRequestFetchPartition,
  replicaId: number,
): DivergingPartitionResult | null {
  if (!p.replicas.includes(replicaId)) {
    s.logger.warn({ topic, partition: fp.partition, replicaId }, "fetch from a broker that is not a replica");
    return answer(p, fp.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }
  const log = p.log;
  const fetchOffset = Number(fp.fetchOffset);
  const lastFetchedEpoch = fp.lastFetchedEpoch ?? -1;
  if (lastFetchedEpoch >= 0) {
    // The end of the follower's last epoch in the leader's log: where the two logs part, if they do.
    const end = log.endOffsetForEpoch(lastFetchedEpoch);
    // No epoch at or below it in the leader's history: Kafka answers OFFSET_OUT_OF_RANGE (a
    // divergingEpoch of -1/-1 would read as "no divergence" and the follower would loop).
    if (end.leaderEpoch < 0 || end.endOffset < 0) return answer(p, fp.partition, ErrorCode.OFFSET_OUT_OF_RANGE);
    if (end.leaderEpoch !== lastFetchedEpoch || end.endOffset < fetchOffset)
      return answer(p, fp.partition, ErrorCode.NONE, { epoch: end.leaderEpoch, endOffset: end.endOffset });
  }
  if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
    if (fetchOffset > log.logEndOffset)
      s.logger.warn(
        { topic, partition: fp.partition, replicaId, fetchOffset, logEndOffset: log.logEndOffset },
        "follower fetch past the leader's log end offset",
      );
    return answer(p, fp.partition, ErrorCode.OFFSET_OUT_OF_RANGE);
  }
  const code = s.replicas.onFollowerFetch(topic, p, replicaId, fetchOffset);
  return code === ErrorCode.NONE ? null : answer(p, fp.partition, code);
}
