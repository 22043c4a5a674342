// The controller's Kafka APIs over the wire, through a broker's ControllerChannel to the active
// controller: ApiVersions of the CONTROLLER listener, AllocateProducerIds, AlterPartition,
// (Incremental)AlterConfigs, CreatePartitions, DeleteTopics.
import { Connection } from "@gregor/client";
import type {
  AllocateProducerIdsResponse,
  AlterConfigsResponse,
  AlterPartitionResponse,
  ApiVersionsResponse,
  CreatePartitionsResponse,
  CreateTopicsResponse,
  DeleteTopicsResponse,
  IncrementalAlterConfigsResponse,
} from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClusterNode } from "../../src/cluster/cluster-node.js";
import { RAFT_MESSAGES_API_KEY } from "../../src/controller/driver/raft-frame.js";
import {
  CREATE_TOPICS,
  createTopicsRequest,
  startTestCluster,
  type TestCluster,
  topicsNotController,
  until,
} from "./harness.js";

const TOPIC = 2; // ConfigResource.Type TOPIC

describe("controller APIs over the wire", () => {
  let cluster: TestCluster;
  let broker: ClusterNode;
  beforeAll(async () => {
    cluster = await startTestCluster();
    await cluster.activeController();
    await cluster.allUnfenced();
    broker = cluster.nodes.get(1)!;
    const res = await broker.sendToController<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest("api", 2, 3), {
      isNotController: topicsNotController,
    });
    expect(res.topics[0]!.errorCode).toBe(0);
    await until("every node sees api", () =>
      [...cluster.nodes.values()].every((n) => n.image().topics.byName.has("api")),
    );
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("ApiVersions on the CONTROLLER listener lists the controller APIs, not the internal raft key", async () => {
    const c = await Connection.connect({ host: "127.0.0.1", port: broker.controllerPort!, clientId: "test" });
    try {
      const res = await c.request<ApiVersionsResponse>(18, {});
      const keys = res.apiKeys.map((k) => k.apiKey);
      for (const k of [1, 18, 19, 20, 33, 37, 44, 55, 56, 59, 62, 63, 67]) expect(keys).toContain(k);
      expect(keys).not.toContain(RAFT_MESSAGES_API_KEY);
      expect(keys).not.toContain(0); // no Produce on a controller
    } finally {
      c.close();
    }
  });

  it("AllocateProducerIds hands out consecutive blocks", async () => {
    const epoch = broker.lifecycle!.brokerEpoch;
    const first = await broker.sendToController<AllocateProducerIdsResponse>(67, { brokerId: 1, brokerEpoch: epoch });
    const second = await broker.sendToController<AllocateProducerIdsResponse>(67, { brokerId: 1, brokerEpoch: epoch });
    expect(first.errorCode).toBe(0);
    expect(second.errorCode).toBe(0);
    expect(first.producerIdLen).toBeGreaterThan(0);
    expect(second.producerIdStart).toBe(first.producerIdStart + BigInt(first.producerIdLen));
  });

  it("AlterPartition shrinks the ISR by the leader's request; a stale partition epoch is refused", async () => {
    const p = broker.image().topics.byName.get("api")!.partitions[0]!;
    const topicId = broker.image().topics.byName.get("api")!.topicId;
    const leader = cluster.nodes.get(p.leader)!;
    const newIsr = p.isr
      .filter((id) => id !== p.leader)
      .slice(0, 1)
      .concat([p.leader]);
    const request = (partitionEpoch: number) => ({
      brokerId: p.leader,
      brokerEpoch: leader.lifecycle!.brokerEpoch,
      topics: [
        {
          topicId,
          partitions: [
            {
              partitionIndex: 0,
              leaderEpoch: p.leaderEpoch,
              newIsrWithEpochs: newIsr.map((id) => ({
                brokerId: id,
                brokerEpoch: cluster.nodes.get(id)!.lifecycle!.brokerEpoch,
              })),
              leaderRecoveryState: 0,
              partitionEpoch,
            },
          ],
        },
      ],
    });
    const ok = await leader.sendToController<AlterPartitionResponse>(56, request(p.partitionEpoch));
    expect(ok.errorCode).toBe(0);
    const result = ok.topics[0]!.partitions[0]!;
    expect(result.errorCode).toBe(0);
    expect([...result.isr].sort()).toEqual([...newIsr].sort());
    expect(result.partitionEpoch).toBe(p.partitionEpoch + 1);
    await until("every node sees the shrunk ISR", () =>
      [...cluster.nodes.values()].every(
        (n) => n.image().topics.byName.get("api")!.partitions[0]!.isr.length === newIsr.length,
      ),
    );
    const stale = await leader.sendToController<AlterPartitionResponse>(56, request(p.partitionEpoch));
    expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(95); // INVALID_UPDATE_VERSION
  });

  it("IncrementalAlterConfigs sets a topic config; AlterConfigs replaces the set", async () => {
    const inc = await broker.sendToController<IncrementalAlterConfigsResponse>(44, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: "api",
          configs: [
            { name: "retention.ms", configOperation: 0, value: "60000" },
            { name: "cleanup.policy", configOperation: 0, value: "compact" },
          ],
        },
      ],
      validateOnly: false,
    });
    expect(inc.responses[0]!.errorCode).toBe(0);
    const configs = () => broker.image().configs.get(TOPIC)?.get("api");
    await until("retention.ms set", () => configs()?.get("retention.ms") === "60000");
    const replace = await broker.sendToController<AlterConfigsResponse>(33, {
      resources: [{ resourceType: TOPIC, resourceName: "api", configs: [{ name: "retention.ms", value: "120000" }] }],
      validateOnly: false,
    });
    expect(replace.responses[0]!.errorCode).toBe(0);
    await until("replaced", () => configs()?.get("retention.ms") === "120000" && !configs()?.has("cleanup.policy"));
  });

  it("CreatePartitions and DeleteTopics reach every node's image", async () => {
    const grow = await broker.sendToController<CreatePartitionsResponse>(37, {
      topics: [{ name: "api", count: 4, assignments: null }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(grow.results[0]!.errorCode).toBe(0);
    for (const n of cluster.nodes.values()) {
      await until(
        `node ${n.nodeId} sees 4 partitions`,
        () => n.image().topics.byName.get("api")?.partitions.length === 4,
      );
    }
    const del = await broker.sendToController<DeleteTopicsResponse>(20, {
      topics: [{ name: "api", topicId: "00000000-0000-0000-0000-000000000000" }],
      topicNames: ["api"],
      timeoutMs: 5000,
    });
    expect(del.responses[0]!.errorCode).toBe(0);
    for (const n of cluster.nodes.values()) {
      await until(`node ${n.nodeId} no longer has api`, () => !n.image().topics.byName.has("api"));
    }
  });
});
