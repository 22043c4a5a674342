// The consumer's state per assigned partition: where the next fetch starts, what was handed out
// and what was committed. `generation` is bumped whenever the position moves (seek, reset, pause,
// revoke), so the answers to fetches and ListOffsets requests sent before are dropped.
import type { Cluster } from "../cluster.js";
import { GregorClientError } from "../errors.js";
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from "../offsets.js";

/** Where to start reading: an offset, earliest, latest, or the first record at/after a time. */
export type StartPosition = bigint | "earliest" | "latest" | { timestamp: number };

export interface PartitionState {
  topic: string;
  partition: number;
  /** The next offset to fetch; null while the position is to be reset (see `reset`). */
  fetchOffset: bigint | null;
  /** The reset pending (ListOffsets), or null. */
  reset: StartPosition | "none" | null;
  /** The position after what the application was handed (what a commit records). */
  consumed: bigint | null;
  committed: bigint | null;
  paused: boolean;
  generation: number;
  /** Backoff: no fetch before this time. */
  notBeforeMs: number;
  highWatermark: bigint;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

export function newPartitionState(topic: string, partition: number): PartitionState {
  return {
    topic,
    partition,
    fetchOffset: null,
    reset: null,
    consumed: null,
    committed: null,
    paused: false,
    generation: 0,
    notBeforeMs: 0,
    highWatermark: -1n,
  };
}

/** Moves the position: an offset is taken as it is, anything else waits for a reset. */
export function setPosition(state: PartitionState, start: StartPosition | "none"): void {
  state.generation++;
  if (typeof start === "bigint") {
    state.fetchOffset = start;
    state.consumed = start;
    state.reset = null;
  } else {
    state.fetchOffset = null;
    state.reset = start;
  }
}

function resetTimestamp(reset: StartPosition | "none"): bigint {
  if (reset === "earliest") return EARLIEST_TIMESTAMP;
  if (reset === "latest") return LATEST_TIMESTAMP;
  return BigInt((reset as { timestamp: number }).timestamp);
}

/**
 * Resolves the pending resets of `states` with ListOffsets. A state whose position moved meanwhile
 * (another generation, or no longer assigned: `isCurrent` false) is left alone. Throws a
 * non-retriable GregorClientError for a partition whose reset is "none".
 */
export async function resolveResets(
  cluster: Cluster,
  states: readonly PartitionState[],
  isolationLevel: number,
  isCurrent: (state: PartitionState) => boolean,
): Promise<void> {
  const none = states.find((s) => s.reset === "none");
  if (none)
    throw new GregorClientError(
      `no committed offset for ${none.topic}-${none.partition} and autoOffsetReset is "none"`,
    );
  const generations = states.map((s) => s.generation);
  const answers = await listOffsets(
    cluster,
    states.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: resetTimestamp(s.reset!) })),
    isolationLevel,
  );
  states.forEach((s, i) => {
    if (s.generation !== generations[i] || !isCurrent(s)) return;
    const answer = answers.find((x) => x.topic === s.topic && x.partition === s.partition);
    if (!answer) return;
    // No record at/after the timestamp: start at the end, like Kafka's consumer.
    let offset = answer.offset;
    if (offset < 0n)
      offset =
        answers.find((x) => x.topic === s.topic && x.partition === s.partition && x.timestamp === LATEST_TIMESTAMP)
          ?.offset ?? -1n;
    if (offset < 0n) {
      s.reset = "latest";
      return;
    }
    s.fetchOffset = offset;
    s.consumed = offset;
    s.reset = null;
  });
}
