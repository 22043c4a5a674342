import { describe, expect, it } from "vitest";
import {
  EMPTY_IMAGE,
  MetadataDelta,
  MetadataRecordError,
  type MetadataRecord,
  RECORD_BATCH_VERSION,
  applyBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  imageFromSnapshot,
  imageToRecords,
} from "../../src/controller/index.js";
import { Harness } from "./helpers.js";

const TOPIC_ID = "5f0e1c7a-3c2b-4d6e-9f00-112233445566";

const sample: MetadataRecord[] = [
  { type: "FeatureLevel", name: "metadata.version", featureLevel: 25 },
  {
    type: "RegisterBroker",
    brokerId: 1,
    incarnationId: "inc",
    brokerEpoch: -1,
    endPoints: [{ name: "PLAINTEXT", host: "h", port: 9092, securityProtocol: 0 }],
    features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: 25 }],
    rack: null,
    fenced: true,
    inControlledShutdown: false,
    logDirs: [],
  },
  { type: "Topic", name: "t", topicId: TOPIC_ID },
  {
    type: "Partition",
    partitionId: 0,
    topicId: TOPIC_ID,
    replicas: [1],
    isr: [1],
    removingReplicas: [],
    addingReplicas: [],
    leader: 1,
    leaderRecoveryState: 0,
    leaderEpoch: 0,
    partitionEpoch: 0,
  },
  { type: "PartitionChange", partitionId: 0, topicId: TOPIC_ID, leader: -1 },
  { type: "Config", resourceType: 2, resourceName: "t", name: "retention.ms", value: "1000" },
  { type: "Config", resourceType: 2, resourceName: "t", name: "cleanup.policy", value: null },
  { type: "ProducerIds", brokerId: 1, brokerEpoch: 2, nextProducerId: 1000 },
  { type: "NoOp" },
];

describe("metadata record batches", () => {
  it("round-trip through msgpackr with a version byte", () => {
    const bytes = encodeRecordBatch(sample);
    expect(bytes[0]).toBe(RECORD_BATCH_VERSION);
    expect(decodeRecordBatch(bytes)).toEqual(sample);
  });

  it("reject garbage with a message naming what is wrong", () => {
    expect(() => decodeRecordBatch(new Uint8Array([]))).toThrow(MetadataRecordError);
    expect(() => decodeRecordBatch(new Uint8Array([9, 0x90]))).toThrow(/unsupported metadata record batch version 9/);
    expect(() => decodeRecordBatch(new Uint8Array([RECORD_BATCH_VERSION, 0x92, 0x01]))).toThrow(/not valid msgpack/);
    const notArray = encodeRecordBatch(sample);
    notArray[1] = 0x01; // a positive fixint, not an array header
    expect(() => decodeRecordBatch(notArray.subarray(0, 2))).toThrow(/not an array/);
    const unknown = encodeRecordBatch([{ type: "Bogus" } as unknown as MetadataRecord]);
    expect(() => decodeRecordBatch(unknown)).toThrow(/unknown type "Bogus"/);
    const badField = encodeRecordBatch([{ type: "Topic", name: 7, topicId: TOPIC_ID } as unknown as MetadataRecord]);
    expect(() => decodeRecordBatch(badField)).toThrow(/field name is missing or not a str/);
    const badOptional = encodeRecordBatch([
      { type: "PartitionChange", partitionId: 0, topicId: TOPIC_ID, isr: ["x"] } as unknown as MetadataRecord,
    ]);
    expect(() => decodeRecordBatch(badOptional)).toThrow(/field isr is not a ints/);
  });
});

describe("MetadataDelta", () => {
  it("fills a new registration's epoch with the entry offset and bumps epochs like Kafka", () => {
    const image = applyBatch(EMPTY_IMAGE, sample, 7);
    expect(image.offset).toBe(7);
    expect(image.brokers.get(1)?.brokerEpoch).toBe(7);
    const p = image.topics.byName.get("t")?.partitions[0];
    expect(p).toMatchObject({ leader: -1, leaderEpoch: 1, partitionEpoch: 1, isr: [1] });
    expect(image.configs.get(2)?.get("t")).toEqual(new Map([["retention.ms", "1000"]]));
    expect(image.nextProducerId).toBe(1000);
    expect(image.features.get("metadata.version")).toBe(25);
    // Same leader again: partition epoch moves, leader epoch does not.
    const next = applyBatch(image, [{ type: "PartitionChange", partitionId: 0, topicId: TOPIC_ID, leader: -1 }], 8);
    expect(next.topics.byName.get("t")?.partitions[0]).toMatchObject({ leaderEpoch: 1, partitionEpoch: 2 });
  });

  it("shares untouched topics and maps with the base image", () => {
    const h = new Harness();
    h.brokers([1, 2]);
    h.createTopic("a", 2, 2);
    h.createTopic("b", 2, 2);
    const before = h.image;
    h.run(
      h.controller.incrementalAlterConfigs(
        {
          resources: [
            { resourceType: 2, resourceName: "a", configs: [{ name: "retention.ms", configOperation: 0, value: "5" }] },
          ],
          validateOnly: false,
        },
        h.nowMs,
      ),
    );
    expect(h.image.topics).toBe(before.topics);
    expect(h.image.brokers).toBe(before.brokers);
    h.commit([{ type: "PartitionChange", partitionId: 0, topicId: h.topicId("a"), isr: [h.partition("a", 0).leader] }]);
    expect(h.image.topics.byName.get("b")).toBe(before.topics.byName.get("b"));
    expect(h.image.topics.byName.get("a")?.partitions[1]).toBe(before.topics.byName.get("a")?.partitions[1]);
    expect(h.image.topics.byName.get("a")?.partitions[0]).not.toBe(before.topics.byName.get("a")?.partitions[0]);
  });

  it("drops a deleted topic's configs and refuses an out-of-order offset", () => {
    const h = new Harness();
    h.brokers([1]);
    h.createTopic("a", 1, 1, { "retention.ms": "10" });
    expect(h.image.configs.get(2)?.get("a")?.get("retention.ms")).toBe("10");
    h.run(h.controller.deleteTopics({ topics: [{ name: "a", topicId: null }] }, h.nowMs));
    expect(h.image.topics.byName.size).toBe(0);
    expect(h.image.configs.get(2)).toBeUndefined();
    const delta = new MetadataDelta(h.image);
    expect(() => delta.replayBatch([{ type: "NoOp" }], h.offset)).toThrow(/not after/);
  });
});

describe("snapshots", () => {
  it("replaying imageToRecords(image) into an empty image gives an equal image", () => {
    const h = new Harness();
    h.brokers([1, 2, 3], ["a", "b", "c"]);
    h.createTopic("orders", 6, 3, { "cleanup.policy": "compact" });
    h.createTopic("events", 3, 2);
    h.run(h.controller.allocateProducerIds({ brokerId: 2, brokerEpoch: h.image.brokers.get(2)!.brokerEpoch }, h.nowMs));
    h.commit(h.controller.fenceBroker(3));
    h.register(4, "a");
    h.run(h.controller.deleteTopics({ topics: [{ name: "events", topicId: null }] }, h.nowMs));
    const records = imageToRecords(h.image);
    const rebuilt = imageFromSnapshot(decodeRecordBatch(encodeRecordBatch(records)), h.image.offset);
    expect(rebuilt).toEqual(h.image);
    expect(imageToRecords(rebuilt)).toEqual(records);
  });
});
