// Replica placement with the semantics of Kafka's StripedReplicaPlacer (KIP-660): leaders striped
// evenly over the usable brokers, each partition's replicas on distinct racks while there are racks
// left, the same answer for the same random(). Usable = registered, unfenced, not shutting down.
//
// The brokers are laid out once per call as a rack-interleaved ring (rack order and the brokers in
// each rack shuffled with random()): A1 B1 C1 A2 B2 C2 ... Partition p is led by ring[(start + p) % n],
// so leader counts differ by at most one. Its followers are taken walking the ring onwards, skipping
// brokers on a rack the partition already uses until every rack is used; the walk starts further
// along for each full lap of partitions, so the same leader gets different followers.
import { assert } from "../group/errors.js";

export interface UsableBroker {
  id: number;
  rack: string | null;
}

export interface PlacementRequest {
  /** Index of the first partition to place (the topic's current count for CreatePartitions). */
  startPartition: number;
  numPartitions: number;
  replicationFactor: number;
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** Rack-interleaved order of the brokers; brokers without a rack share one. */
function ring(brokers: readonly UsableBroker[], random: () => number): UsableBroker[] {
  const racks = new Map<string, UsableBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const key = b.rack ?? "";
    const list = racks.get(key);
    if (list) list.push(b);
    else racks.set(key, [b]);
  }
  const rackLists = shuffle(
    [...racks.keys()].sort().map((k) => shuffle(racks.get(k) as UsableBroker[], random)),
    random,
  );
  const out: UsableBroker[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const list of rackLists) {
      const b = list[round];
      if (b !== undefined) out.push(b);
    }
  }
  return out;
}

/**
 * Replica lists for partitions startPartition..startPartition+numPartitions-1; the first replica of
 * each is its preferred leader. The caller checks replicationFactor <= brokers.length.
 */
export function placeReplicas(
  brokers: readonly UsableBroker[],
  request: PlacementRequest,
  random: () => number,
): number[][] {
  const n = brokers.length;
  assert(request.replicationFactor >= 1 && request.replicationFactor <= n, "replication factor fits the brokers");
  const order = ring(brokers, random);
  const start = Math.floor(random() * n);
  const result: number[][] = [];
  for (let k = 0; k < request.numPartitions; k++) {
    const p = request.startPartition + k;
    const leaderIndex = (start + p) % n;
    const lap = Math.floor(p / n);
    result.push(replicasFor(order, leaderIndex, lap, request.replicationFactor));
  }
  return result;
}

function replicasFor(order: readonly UsableBroker[], leaderIndex: number, lap: number, rf: number): number[] {
  const n = order.length;
  const leader = order[leaderIndex] as UsableBroker;
  const replicas = [leader.id];
  const racks = new Set([leader.rack ?? ""]);
  const skipped: UsableBroker[] = [];
  // The followers' walk starts `lap` steps further so each lap pairs a leader with other followers.
  const offset = n > 1 ? lap % (n - 1) : 0;
  for (let step = 1; step < n && replicas.length < rf; step++) {
    const b = order[(leaderIndex + 1 + ((offset + step - 1) % (n - 1))) % n] as UsableBroker;
    if (racks.has(b.rack ?? "")) {
      skipped.push(b);
      continue;
    }
    replicas.push(b.id);
    racks.add(b.rack ?? "");
  }
  // Fewer racks than replicas: fill with the brokers skipped, in ring order.
  for (const b of skipped) {
    if (replicas.length >= rf) break;
    replicas.push(b.id);
  }
  return replicas;
}
