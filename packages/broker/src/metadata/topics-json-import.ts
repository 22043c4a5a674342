// Upgrade path from the single-node topic table (`topics.json`, Gregor before the metadata quorum):
// on the first start with an empty metadata log, its topics are written to the log once — a
// TopicRecord (same topic id), one PartitionRecord per partition with replicas [this broker] and
// Config records for the overrides — so existing data keeps its topics and logs. The file is then
// renamed to `topics.json.imported` and never written again.
import { readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { TopicConfigOverrides } from "../config/topic-config.js";
import {
  ConfigResourceType,
  LeaderRecoveryState,
  type MetadataImage,
  type MetadataRecord,
} from "../controller/index.js";

export const TOPICS_JSON = "topics.json";

interface PersistedTopic {
  name: string;
  topicId: string;
  partitions: number;
  configs: TopicConfigOverrides;
}

/** The records that recreate `topics` with every replica on `brokerId`, led by it at epoch 0. */
export function importRecords(topics: readonly PersistedTopic[], brokerId: number): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const t of topics) {
    records.push({ type: "Topic", name: t.name, topicId: t.topicId });
    for (let partitionId = 0; partitionId < t.partitions; partitionId++) {
      records.push({
        type: "Partition",
        partitionId,
        topicId: t.topicId,
        replicas: [brokerId],
        isr: [brokerId],
        removingReplicas: [],
        addingReplicas: [],
        leader: brokerId,
        leaderRecoveryState: LeaderRecoveryState.RECOVERED,
        leaderEpoch: 0,
        partitionEpoch: 0,
      });
    }
    for (const [name, value] of Object.entries(t.configs)) {
      records.push({ type: "Config", resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value });
    }
  }
  return records;
}

async function readTopicsJson(dataDir: string): Promise<PersistedTopic[] | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, TOPICS_JSON), "utf8")) as PersistedTopic[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/**
 * Imports `<dataDir>/topics.json` through `append` (the active controller's write) when the image
 * has no topics yet; returns the number of topics imported (0 when there was nothing to do).
 */
export async function importTopicsJson(
  dataDir: string,
  image: MetadataImage,
  brokerId: number,
  append: (records: MetadataRecord[]) => Promise<void>,
): Promise<number> {
  const topics = await readTopicsJson(dataDir);
  if (topics === null) return 0;
  const fresh = image.topics.byName.size === 0;
  if (fresh && topics.length > 0) await append(importRecords(topics, brokerId));
  await rename(join(dataDir, TOPICS_JSON), join(dataDir, `${TOPICS_JSON}.imported`));
  return fresh ? topics.length : 0;
}
