// A snapshot of an image as records (Kafka's SnapshotGenerator writes the image's records the same
// way, KIP-630): replaying them into an empty image at the image's offset rebuilds an equal image.
// The order is canonical (features, brokers by id, topics by name, configs by resource and key) so
// two equal images give equal record lists, which the simulation uses to compare nodes.
import { EMPTY_IMAGE, type MetadataImage } from "./image.js";
import { applyBatch } from "./delta.js";
import type { MetadataRecord } from "./records.js";

const byKey = <K>(a: [K, unknown], b: [K, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export function imageToRecords(image: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const [name, featureLevel] of [...image.features].sort(byKey)) {
    records.push({ type: "FeatureLevel", name, featureLevel });
  }
  for (const [, b] of [...image.brokers].sort(byKey)) {
    records.push({
      type: "RegisterBroker",
      brokerId: b.brokerId,
      incarnationId: b.incarnationId,
      brokerEpoch: b.brokerEpoch,
      endPoints: b.endPoints.map((e) => ({ ...e })),
      features: b.features.map((f) => ({ ...f })),
      rack: b.rack,
      fenced: b.fenced,
      inControlledShutdown: b.inControlledShutdown,
      logDirs: [...b.logDirs],
    });
  }
  for (const [, topic] of [...image.topics.byName].sort(byKey)) {
    records.push({ type: "Topic", name: topic.name, topicId: topic.topicId });
    for (const p of topic.partitions) {
      records.push({
        type: "Partition",
        partitionId: p.partitionId,
        topicId: topic.topicId,
        replicas: [...p.replicas],
        isr: [...p.isr],
        removingReplicas: [...p.removingReplicas],
        addingReplicas: [...p.addingReplicas],
        leader: p.leader,
        leaderRecoveryState: p.leaderRecoveryState,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
      });
    }
  }
  for (const [resourceType, byName] of [...image.configs].sort(byKey)) {
    for (const [resourceName, configs] of [...byName].sort(byKey)) {
      for (const [name, value] of [...configs].sort(byKey)) {
        records.push({ type: "Config", resourceType, resourceName, name, value });
      }
    }
  }
  if (image.nextProducerId > 0) {
    records.push({ type: "ProducerIds", brokerId: -1, brokerEpoch: -1, nextProducerId: image.nextProducerId });
  }
  return records;
}

/** Rebuilds an image from a snapshot's records taken at `offset`. */
export function imageFromSnapshot(records: readonly MetadataRecord[], offset: number): MetadataImage {
  if (offset < 0) return EMPTY_IMAGE;
  return applyBatch(EMPTY_IMAGE, records, offset);
}
