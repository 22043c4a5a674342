import { ErrorCode } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import type { CreatableTopic } from "../../src/controller/index.js";
import { Harness } from "./helpers.js";

const topic = (name: string, extra: Partial<CreatableTopic> = {}): CreatableTopic => ({
  name,
  numPartitions: 1,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...extra,
});

function create(h: Harness, topics: CreatableTopic[], validateOnly = false) {
  return h.run(h.controller.createTopics({ topics, validateOnly }, h.nowMs)).topics;
}

describe("createTopics", () => {
  it("creates a topic with placed partitions, ISR = replicas, leader = first replica", () => {
    const h = new Harness();
    h.brokers([1, 2, 3]);
    const r = h.createTopic("t", 3, 2);
    expect(r).toMatchObject({ errorCode: 0, numPartitions: 3, replicationFactor: 2 });
    expect(r.topicId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const t = h.image.topics.byName.get("t")!;
    expect(t.topicId).toBe(r.topicId);
    expect(new Set(t.partitions.map((p) => p.leader)).size).toBe(3);
    for (const p of t.partitions) {
      expect(p.isr).toEqual(p.replicas);
      expect(p.leader).toBe(p.replicas[0]);
      expect(p).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0 });
    }
  });

  it("answers Kafka's errors without writing anything", () => {
    const h = new Harness();
    h.brokers([1, 2]);
    h.createTopic("exists", 1, 1);
    const before = h.offset;
    const results = create(h, [
      topic("exists"),
      topic("bad name!"),
      topic("zero", { numPartitions: 0 }),
      topic("rf0", { replicationFactor: 0 }),
      topic("rf3", { replicationFactor: 3 }),
      topic("cfg", { configs: [{ name: "retention.ms", value: "soon" }] }),
      topic("unknown-cfg", { configs: [{ name: "no.such.key", value: "1" }] }),
      topic("dup"),
      topic("dup"),
    ]);
    expect(h.offset).toBe(before);
    expect(results.map((r) => [r.name, r.errorCode])).toEqual([
      ["exists", ErrorCode.TOPIC_ALREADY_EXISTS],
      ["bad name!", ErrorCode.INVALID_TOPIC_EXCEPTION],
      ["zero", ErrorCode.INVALID_PARTITIONS],
      ["rf0", ErrorCode.INVALID_REPLICATION_FACTOR],
      ["rf3", ErrorCode.INVALID_REPLICATION_FACTOR],
      ["cfg", ErrorCode.INVALID_CONFIG],
      ["unknown-cfg", ErrorCode.INVALID_CONFIG],
      ["dup", ErrorCode.INVALID_REQUEST],
      ["dup", ErrorCode.INVALID_REQUEST],
    ]);
    expect(results[4]?.errorMessage).toBe(
      "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.",
    );
    expect(results[0]?.errorMessage).toBe("Topic 'exists' already exists.");
  });

  it("refuses a name that collides with an existing one on '.' versus '_'", () => {
    const h = new Harness();
    h.brokers([1]);
    h.createTopic("a.b", 1, 1);
    const [r] = create(h, [topic("a_b")]);
    expect(r?.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(r?.errorMessage).toBe("Topic 'a_b' collides with existing topic: a.b");
    expect(create(h, [topic("ab")])[0]?.errorCode).toBe(0);
  });

  it("counts only unfenced brokers for the replication factor", () => {
    const h = new Harness();
    h.brokers([1, 2, 3]);
    h.commit(h.controller.fenceBroker(3));
    const [r] = create(h, [topic("t", { replicationFactor: 3 })]);
    expect(r?.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(r?.errorMessage).toContain("only 2 broker(s)");
  });

  it("uses num.partitions and default.replication.factor for -1", () => {
    const h = new Harness({ numPartitions: 4, defaultReplicationFactor: 2 });
    h.brokers([1, 2, 3]);
    const [r] = create(h, [topic("t", { numPartitions: -1, replicationFactor: -1 })]);
    expect(r).toMatchObject({ errorCode: 0, numPartitions: 4, replicationFactor: 2 });
  });

  it("validateOnly checks everything and writes nothing", () => {
    const h = new Harness();
    h.brokers([1]);
    const before = h.offset;
    const [ok, bad] = create(h, [topic("t"), topic("u", { replicationFactor: 2 })], true);
    expect(ok?.errorCode).toBe(0);
    expect(bad?.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(h.offset).toBe(before);
    expect(h.image.topics.byName.size).toBe(0);
  });

  it("honours a manual replica assignment and checks it", () => {
    const h = new Harness();
    h.brokers([1, 2, 3]);
    const manual = (
      assignments: { partitionIndex: number; brokerIds: number[] }[],
      extra: Partial<CreatableTopic> = {},
    ) => topic(`m${h.offset}`, { numPartitions: -1, replicationFactor: -1, assignments, ...extra });
    const [ok] = create(h, [
      manual([
        { partitionIndex: 1, brokerIds: [3, 1] },
        { partitionIndex: 0, brokerIds: [2, 3] },
      ]),
    ]);
    expect(ok).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 2 });
    const t = h.image.topics.byName.get(ok!.name)!;
    expect(t.partitions.map((p) => [p.replicas, p.leader])).toEqual([
      [[2, 3], 2],
      [[3, 1], 3],
    ]);
    const cases: [CreatableTopic, number, RegExp][] = [
      [
        manual([{ partitionIndex: 0, brokerIds: [9] }]),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        /broker 9, but no such broker/,
      ],
      [manual([{ partitionIndex: 0, brokerIds: [1, 1] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /more than once/],
      [manual([{ partitionIndex: 0, brokerIds: [] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /empty replica list/],
      [
        manual([
          { partitionIndex: 0, brokerIds: [1, 2] },
          { partitionIndex: 1, brokerIds: [3] },
        ]),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        /not consistent with previous partitions/,
      ],
      [manual([{ partitionIndex: 1, brokerIds: [1] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /consecutive/],
      [
        manual([{ partitionIndex: 0, brokerIds: [1] }], { numPartitions: 1 }),
        ErrorCode.INVALID_REQUEST,
        /Both numPartitions/,
      ],
    ];
    for (const [request, code, message] of cases) {
      const [r] = create(h, [request]);
      expect(r?.errorCode).toBe(code);
      expect(r?.errorMessage).toMatch(message);
    }
  });

  it("writes the topic's configs as Config records", () => {
    const h = new Harness();
    h.brokers([1]);
    h.createTopic("t", 1, 1, { "cleanup.policy": "compact", "retention.ms": "100" });
    expect(h.image.configs.get(2)?.get("t")).toEqual(
      new Map([
        ["cleanup.policy", "compact"],
        ["retention.ms", "100"],
      ]),
    );
  });
});

describe("deleteTopics", () => {
  it("deletes by name and by id, once, and reports unknown topics", () => {
    const h = new Harness();
    h.brokers([1]);
    h.createTopic("a", 1, 1);
    h.createTopic("b", 1, 1);
    const idB = h.topicId("b");
    const result = h.controller.deleteTopics(
      {
        topics: [
          { name: "a", topicId: null },
          { name: null, topicId: idB },
          { name: "b", topicId: null },
          { name: "nope", topicId: null },
          { name: null, topicId: "00000000-0000-4000-8000-000000000000" },
          { name: "a", topicId: idB },
        ],
      },
      h.nowMs,
    );
    expect(result.records).toHaveLength(2);
    expect(result.response.responses.map((r) => r.errorCode)).toEqual([
      0,
      0,
      0,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_ID,
      ErrorCode.INVALID_REQUEST,
    ]);
    h.run(result);
    expect(h.image.topics.byName.size).toBe(0);
    expect(h.image.topics.byId.size).toBe(0);
  });
});

describe("createPartitions", () => {
  it("adds partitions with the topic's replication factor", () => {
    const h = new Harness();
    h.brokers([1, 2, 3]);
    h.createTopic("t", 2, 2);
    const r = h.run(
      h.controller.createPartitions(
        { topics: [{ name: "t", count: 5, assignments: null }], validateOnly: false },
        h.nowMs,
      ),
    );
    expect(r.results).toEqual([{ name: "t", errorCode: 0, errorMessage: null }]);
    const t = h.image.topics.byName.get("t")!;
    expect(t.partitions.map((p) => p.partitionId)).toEqual([0, 1, 2, 3, 4]);
    for (const p of t.partitions) expect(p.replicas).toHaveLength(2);
  });

  it("answers INVALID_PARTITIONS, UNKNOWN_TOPIC_OR_PARTITION and assignment errors", () => {
    const h = new Harness();
    h.brokers([1, 2]);
    h.createTopic("t", 2, 2);
    const r = h.controller.createPartitions(
      {
        topics: [
          { name: "t", count: 2, assignments: null },
          { name: "nope", count: 3, assignments: null },
        ],
        validateOnly: false,
      },
      h.nowMs,
    );
    expect(r.records).toEqual([]);
    expect(r.response.results.map((x) => x.errorCode)).toEqual([
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(r.response.results[0]?.errorMessage).toBe("Topic already has 2 partition(s).");
    const shrink = h.controller.createPartitions(
      { topics: [{ name: "t", count: 1, assignments: null }], validateOnly: false },
      h.nowMs,
    );
    expect(shrink.response.results[0]?.errorMessage).toMatch(/would not be an increase/);
    const wrongRf = h.controller.createPartitions(
      { topics: [{ name: "t", count: 3, assignments: [{ brokerIds: [1] }] }], validateOnly: false },
      h.nowMs,
    );
    expect(wrongRf.response.results[0]?.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const manual = h.run(
      h.controller.createPartitions(
        { topics: [{ name: "t", count: 3, assignments: [{ brokerIds: [2, 1] }] }], validateOnly: false },
        h.nowMs,
      ),
    );
    expect(manual.results[0]?.errorCode).toBe(0);
    expect(h.partition("t", 2)).toMatchObject({ replicas: [2, 1], leader: 2 });
  });
});
