// Invariants of the controller simulation, checked after every applied entry on every node.
import type { MetadataImage, PartitionRegistration } from "../../../src/controller/index.js";

export class InvariantError extends Error {
  override readonly name = "InvariantError";
}

export function fail(message: string): never {
  throw new InvariantError(message);
}

/** Every partition: ISR non-empty and within the replicas; leader -1 or an ISR member that may lead. */
export function checkImage(image: MetadataImage, where: string): void {
  for (const topic of image.topics.byId.values()) {
    for (const p of topic.partitions) {
      const name = `${where}: ${topic.name}-${p.partitionId} @${image.offset}`;
      if (p.isr.length === 0) fail(`${name}: empty ISR`);
      if (new Set(p.replicas).size !== p.replicas.length) fail(`${name}: duplicate replicas ${p.replicas}`);
      if (!p.isr.every((id) => p.replicas.includes(id)))
        fail(`${name}: ISR ${p.isr} not within replicas ${p.replicas}`);
      // KIP-455: adding and removing replicas are replicas, never both.
      if (![...p.addingReplicas, ...p.removingReplicas].every((id) => p.replicas.includes(id)))
        fail(`${name}: adding ${p.addingReplicas} / removing ${p.removingReplicas} not within replicas ${p.replicas}`);
      if (p.addingReplicas.some((id) => p.removingReplicas.includes(id)))
        fail(`${name}: a replica both adding and removing (${p.addingReplicas} / ${p.removingReplicas})`);
      if (p.removingReplicas.length >= p.replicas.length) fail(`${name}: every replica is being removed`);
      if (p.leader === -1) continue;
      if (!p.isr.includes(p.leader)) fail(`${name}: leader ${p.leader} not in ISR ${p.isr}`);
      const broker = image.brokers.get(p.leader);
      if (broker === undefined) fail(`${name}: leader ${p.leader} is not registered`);
      if (broker.fenced) fail(`${name}: fenced broker ${p.leader} leads`);
      if (broker.inControlledShutdown) fail(`${name}: broker ${p.leader} in controlled shutdown leads`);
    }
  }
}

/** Leader and partition epochs never go back; a changed partition has a higher partition epoch. */
export function checkEpochs(prev: MetadataImage, next: MetadataImage, where: string): void {
  if (prev.topics === next.topics) return;
  for (const [topicId, topic] of next.topics.byId) {
    const before = prev.topics.byId.get(topicId);
    if (before === undefined || before === topic) continue;
    topic.partitions.forEach((p, i) => {
      const old: PartitionRegistration | undefined = before.partitions[i];
      if (old === undefined || old === p) return;
      const name = `${where}: ${topic.name}-${i} @${next.offset}`;
      if (p.leaderEpoch < old.leaderEpoch) fail(`${name}: leader epoch ${old.leaderEpoch} -> ${p.leaderEpoch}`);
      if (p.partitionEpoch <= old.partitionEpoch) {
        fail(`${name}: partition epoch ${old.partitionEpoch} -> ${p.partitionEpoch}`);
      }
      if (p.leader !== old.leader && p.leaderEpoch <= old.leaderEpoch) fail(`${name}: new leader, same epoch`);
    });
  }
}

/**
 * Where two images differ (a path), or null when equal. Structural, written independently of
 * imageToRecords so a field the snapshot forgets shows up as a difference.
 */
export function imageDiff(a: unknown, b: unknown, path = "image"): string | null {
  if (a === b) return null;
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return `${path}: ${a.size} vs ${b.size} entries`;
    for (const [k, v] of a) {
      if (!b.has(k)) return `${path}[${k}] missing`;
      const d = imageDiff(v, b.get(k), `${path}[${k}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = imageDiff(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      const d = imageDiff(ra[k], rb[k], `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

/**
 * The image at each offset, as first seen by any node: every other node (and every replay after a
 * restart or from a snapshot) must reach an equal image at that offset.
 */
export class ImageHistory {
  private readonly byOffset = new Map<number, MetadataImage>();

  check(image: MetadataImage, where: string): void {
    const seen = this.byOffset.get(image.offset);
    if (seen === undefined) {
      this.byOffset.set(image.offset, image);
      return;
    }
    const diff = imageDiff(seen, image);
    if (diff !== null) fail(`${where}: image at offset ${image.offset} differs from another node's: ${diff}`);
  }

  at(offset: number): MetadataImage | undefined {
    return this.byOffset.get(offset);
  }
}
