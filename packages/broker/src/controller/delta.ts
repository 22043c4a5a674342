// MetadataDelta: records accumulated on top of a base image; apply() yields the next image (Kafka's
// org.apache.kafka.image.MetadataDelta / TopicsDelta). Only what the records touch is copied: an
// untouched topic, broker map or config map is the very object of the base image, so readers can
// compare by identity to find what changed.
import { assert } from "../group/errors.js";
import type {
  BrokerRegistration,
  ConfigMap,
  MetadataImage,
  PartitionRegistration,
  TopicImage,
  TopicsImage,
} from "./image.js";
import {
  ConfigResourceType,
  type MetadataRecord,
  type PartitionChangeRecord,
  type PartitionRecord,
} from "./records.js";

interface TopicChange {
  name: string;
  topicId: string;
  partitions: PartitionRegistration[];
}

export class MetadataDelta {
  private offset: number;
  private features: Map<string, number> | null = null;
  private brokers: Map<number, BrokerRegistration> | null = null;
  /** topicId -> changed topic, or null when removed. */
  private readonly topicChanges = new Map<string, TopicChange | null>();
  private configs: Map<number, Map<string, ConfigMap>> | null = null;
  /** Config maps this delta already copied (and may change in place). */
  private readonly ownedConfigTypes = new Set<number>();
  private readonly ownedConfigs = new Set<string>();
  private nextProducerId: number;

  constructor(private readonly base: MetadataImage) {
    this.offset = base.offset;
    this.nextProducerId = base.nextProducerId;
  }

  /** Replays one batch: the records of the entry at `offset`. */
  replayBatch(records: readonly MetadataRecord[], offset: number): void {
    assert(offset > this.offset, `metadata offset ${offset} not after ${this.offset}`);
    for (const record of records) this.replay(record, offset);
    this.offset = offset;
  }

  private replay(record: MetadataRecord, offset: number): void {
    switch (record.type) {
      case "RegisterBroker": {
        const brokers = this.brokerMap();
        const brokerEpoch = record.brokerEpoch === -1 ? offset : record.brokerEpoch;
        const { type: _, ...fields } = record;
        brokers.set(record.brokerId, { ...fields, brokerEpoch });
        return;
      }
      case "BrokerRegistrationChange": {
        const broker = this.broker(record.brokerId, record.brokerEpoch);
        this.brokerMap().set(record.brokerId, {
          ...broker,
          fenced: record.fenced ?? broker.fenced,
          inControlledShutdown: record.inControlledShutdown ?? broker.inControlledShutdown,
        });
        return;
      }
      case "UnregisterBroker":
        this.broker(record.brokerId, record.brokerEpoch);
        this.brokerMap().delete(record.brokerId);
        return;
      case "Topic":
        assert(this.topicById(record.topicId) === undefined, `topic id ${record.topicId} replayed twice`);
        this.topicChanges.set(record.topicId, { name: record.name, topicId: record.topicId, partitions: [] });
        return;
      case "Partition":
        this.replayPartition(record);
        return;
      case "PartitionChange":
        this.replayPartitionChange(record);
        return;
      case "RemoveTopic": {
        const topic = this.topicById(record.topicId);
        assert(topic !== undefined, `RemoveTopic for unknown topic id ${record.topicId}`);
        this.topicChanges.set(record.topicId, null);
        // Kafka's MetadataDelta drops a deleted topic's configs with it.
        this.configMap(ConfigResourceType.TOPIC, topic.name, true);
        return;
      }
      case "Config": {
        const configs = this.configMap(record.resourceType, record.resourceName, false);
        if (record.value === null) configs.delete(record.name);
        else configs.set(record.name, record.value);
        return;
      }
      case "ProducerIds":
        assert(record.nextProducerId > this.nextProducerId, "producer id blocks go forward");
        this.nextProducerId = record.nextProducerId;
        return;
      case "FeatureLevel":
        this.features ??= new Map(this.base.features);
        // Level 0 = feature disabled (Kafka removes it from the image).
        if (record.featureLevel === 0) this.features.delete(record.name);
        else this.features.set(record.name, record.featureLevel);
        return;
      case "NoOp":
        return;
    }
  }

  private brokerMap(): Map<number, BrokerRegistration> {
    this.brokers ??= new Map(this.base.brokers);
    return this.brokers;
  }

  private broker(brokerId: number, brokerEpoch: number): BrokerRegistration {
    const broker = (this.brokers ?? this.base.brokers).get(brokerId);
    assert(broker !== undefined, `record for unregistered broker ${brokerId}`);
    assert(
      broker.brokerEpoch === brokerEpoch,
      `record for broker ${brokerId} epoch ${brokerEpoch} != ${broker.brokerEpoch}`,
    );
    return broker;
  }

  private topicById(topicId: string): { readonly name: string } | undefined {
    const changed = this.topicChanges.get(topicId);
    if (changed !== undefined) return changed ?? undefined;
    return this.base.topics.byId.get(topicId);
  }

  private mutableTopic(topicId: string): TopicChange {
    const changed = this.topicChanges.get(topicId);
    if (changed) return changed;
    const topic = changed === null ? undefined : this.base.topics.byId.get(topicId);
    assert(topic !== undefined, `partition record for unknown topic id ${topicId}`);
    const copy: TopicChange = { name: topic.name, topicId, partitions: [...topic.partitions] };
    this.topicChanges.set(topicId, copy);
    return copy;
  }

  private replayPartition(record: PartitionRecord): void {
    const topic = this.mutableTopic(record.topicId);
    assert(record.partitionId <= topic.partitions.length, `partition ${record.partitionId} leaves a gap`);
    assert(record.isr.length > 0, "a partition's ISR is never empty");
    const { type: _, topicId: __, ...fields } = record;
    topic.partitions[record.partitionId] = fields;
  }

  private replayPartitionChange(record: PartitionChangeRecord): void {
    const topic = this.mutableTopic(record.topicId);
    const prev = topic.partitions[record.partitionId];
    assert(prev !== undefined, `PartitionChange for unknown partition ${record.topicId}-${record.partitionId}`);
    topic.partitions[record.partitionId] = mergePartitionChange(prev, record);
  }

  /** The delta's own (mutable) config map of a resource; copied from the base once per delta. */
  private configMap(resourceType: number, resourceName: string, remove: boolean): Map<string, string> {
    this.configs ??= new Map(this.base.configs as Map<number, Map<string, ConfigMap>>);
    let byName = this.configs.get(resourceType) as Map<string, ConfigMap> | undefined;
    if (!this.ownedConfigTypes.has(resourceType)) {
      byName = new Map(byName ?? []);
      this.configs.set(resourceType, byName);
      this.ownedConfigTypes.add(resourceType);
    }
    const owned = byName as Map<string, ConfigMap>;
    const key = `${resourceType}:${resourceName}`;
    let configs = owned.get(resourceName) as Map<string, string> | undefined;
    if (remove) {
      owned.delete(resourceName);
      this.ownedConfigs.delete(key);
      return new Map();
    }
    if (configs === undefined || !this.ownedConfigs.has(key)) {
      configs = new Map(configs ?? []);
      owned.set(resourceName, configs);
      this.ownedConfigs.add(key);
    }
    return configs;
  }

  /** The next image. Call once: the delta's maps become the image's. */
  apply(): MetadataImage {
    return {
      offset: this.offset,
      features: this.features ?? this.base.features,
      brokers: this.brokers ?? this.base.brokers,
      topics: this.applyTopics(),
      configs: this.configs === null ? this.base.configs : pruneConfigs(this.configs, this.ownedConfigTypes),
      nextProducerId: this.nextProducerId,
    };
  }

  private applyTopics(): TopicsImage {
    if (this.topicChanges.size === 0) return this.base.topics;
    const byName = new Map(this.base.topics.byName);
    const byId = new Map(this.base.topics.byId);
    for (const [topicId, change] of this.topicChanges) {
      const old = this.base.topics.byId.get(topicId);
      if (old !== undefined) {
        byName.delete(old.name);
        byId.delete(topicId);
      }
      if (change === null) continue;
      const topic: TopicImage = { name: change.name, topicId, partitions: change.partitions };
      byName.set(topic.name, topic);
      byId.set(topicId, topic);
    }
    return { byName, byId };
  }
}

/**
 * Kafka's PartitionRegistration.merge: absent fields stay; a new leader bumps the leader epoch;
 * every change bumps the partition epoch.
 */
export function mergePartitionChange(
  prev: PartitionRegistration,
  change: PartitionChangeRecord,
): PartitionRegistration {
  const leader = change.leader ?? prev.leader;
  const next: PartitionRegistration = {
    partitionId: prev.partitionId,
    replicas: change.replicas ?? prev.replicas,
    isr: change.isr ?? prev.isr,
    removingReplicas: change.removingReplicas ?? prev.removingReplicas,
    addingReplicas: change.addingReplicas ?? prev.addingReplicas,
    leader,
    leaderRecoveryState: change.leaderRecoveryState ?? prev.leaderRecoveryState,
    leaderEpoch: leader !== prev.leader ? prev.leaderEpoch + 1 : prev.leaderEpoch,
    partitionEpoch: prev.partitionEpoch + 1,
  };
  assert(next.isr.length > 0, "a partition's ISR is never empty");
  return next;
}

/** Drops resources left with no configs (only in maps the delta owns), so equal states give equal images. */
function pruneConfigs(
  configs: Map<number, Map<string, ConfigMap>>,
  ownedTypes: ReadonlySet<number>,
): Map<number, Map<string, ConfigMap>> {
  for (const type of ownedTypes) {
    const byName = configs.get(type);
    if (byName === undefined) continue;
    for (const [name, map] of byName) if (map.size === 0) byName.delete(name);
    if (byName.size === 0) configs.delete(type);
  }
  return configs;
}

/** Applies batches to an image in one step. */
export function applyBatch(image: MetadataImage, records: readonly MetadataRecord[], offset: number): MetadataImage {
  const delta = new MetadataDelta(image);
  delta.replayBatch(records, offset);
  return delta.apply();
}
