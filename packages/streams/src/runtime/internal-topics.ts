// Internal topics, created before the group is joined (Kafka's InternalTopicManager): every
// repartition topic gets the partition count of the sub-topology that writes it, every changelog
// the partition count of its store's sub-topology (one changelog partition per task). Source topics
// of one sub-topology must have equal partition counts (co-partitioning), as Kafka requires.
import { type Admin, KafkaProtocolError } from "@gregor/client";
import type { Subtopology, Topology } from "../topology.js";
import { StreamsError, changelogTopic } from "./task.js";

export interface TopicPlan {
  /** Partition count of each sub-topology (= its number of tasks). */
  readonly partitions: Map<number, number>;
  /** Internal topics to create: name -> partitions and configs. */
  readonly internal: Map<string, { partitions: number; configs: Record<string, string> }>;
}

/** Works out partition counts from the external source topics' counts (`known`). */
export function planTopics(topology: Topology, applicationId: string, known: ReadonlyMap<string, number>): TopicPlan {
  const counts = new Map(known);
  const subs = topology.subtopologies();
  const partitions = new Map<number, number>();
  // A repartition topic's count comes from its writer, which may come later in the list: iterate.
  for (let changed = true; changed; ) {
    changed = false;
    for (const sub of subs) {
      if (partitions.has(sub.id)) continue;
      const sourceCounts = sub.sourceTopics.map((t) => counts.get(topology.resolveTopic(applicationId, t)));
      if (sourceCounts.some((c) => c === undefined)) continue;
      checkCoPartitioned(topology, applicationId, sub, sourceCounts as number[]);
      const n = Math.max(...(sourceCounts as number[]));
      partitions.set(sub.id, n);
      for (const t of sub.sinkTopics)
        if (topology.internalTopics.has(t) && !counts.has(topology.resolveTopic(applicationId, t))) {
          counts.set(topology.resolveTopic(applicationId, t), n);
          changed = true;
        }
      changed = true;
    }
  }
  const unresolved = subs.filter((s) => !partitions.has(s.id));
  if (unresolved.length > 0)
    throw new StreamsError(
      `cannot work out partition counts for sub-topologies ${unresolved.map((s) => s.id).join(", ")} (a cycle of repartition topics?)`,
    );
  const internal = new Map<string, { partitions: number; configs: Record<string, string> }>();
  for (const t of topology.internalTopics) {
    const name = topology.resolveTopic(applicationId, t);
    // Kafka's repartition topics: deleted records are purged after commit; delete policy, no retention.
    internal.set(name, {
      partitions: counts.get(name)!,
      configs: { "cleanup.policy": "delete", "retention.ms": "-1" },
    });
  }
  for (const sub of subs)
    for (const storeName of sub.stores) {
      const store = topology.stores.get(storeName)!;
      if (store.logged)
        internal.set(changelogTopic(applicationId, storeName), {
          partitions: partitions.get(sub.id)!,
          configs: { ...store.changelogConfig },
        });
    }
  return { partitions, internal };
}

function checkCoPartitioned(topology: Topology, applicationId: string, sub: Subtopology, counts: number[]): void {
  if (new Set(counts).size <= 1) return;
  const detail = sub.sourceTopics.map((t, i) => `${topology.resolveTopic(applicationId, t)}: ${counts[i]}`).join(", ");
  throw new StreamsError(
    `sub-topology ${sub.id} joins topics that are not co-partitioned (${detail}); they need equal partition counts`,
  );
}

/** Describes the external sources, creates the missing internal topics; returns the plan. */
export async function prepareTopics(
  admin: Admin,
  topology: Topology,
  applicationId: string,
  replicationFactor: number,
): Promise<TopicPlan> {
  const external = new Set<string>();
  for (const sub of topology.subtopologies())
    for (const t of sub.sourceTopics) if (!topology.internalTopics.has(t)) external.add(t);
  for (const { topic } of topology.globalStores.values()) external.add(topic);
  const existing = new Set(await admin.listTopics());
  const missing = [...external].filter((t) => !existing.has(t));
  if (missing.length > 0)
    throw new StreamsError(
      `MISSING_SOURCE_TOPICS: source topics ${missing.join(", ")} do not exist; create them first`,
    );
  const known = new Map<string, number>();
  for (const info of await admin.describeTopics([...external])) known.set(info.name, info.partitions.length);
  const plan = planTopics(topology, applicationId, known);
  for (const [topic, spec] of plan.internal) {
    if (existing.has(topic)) continue;
    try {
      await admin.createTopics([{ topic, numPartitions: spec.partitions, replicationFactor, configs: spec.configs }]);
    } catch (e) {
      // Another instance of the application created it first.
      if (!(e instanceof KafkaProtocolError && e.type === "TOPIC_ALREADY_EXISTS")) throw e;
    }
  }
  return plan;
}
