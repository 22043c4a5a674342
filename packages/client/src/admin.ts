// Admin operations: topics, partitions, configs, consumer groups and their offsets, offsets by
// time, deleteRecords, cluster description. Every broker error becomes a KafkaProtocolError carrying
// the broker's message (e.g. INVALID_REPLICATION_FACTOR's "Replication factor: 2 larger than ...").
import {
  ApiKey,
  type CreatePartitionsResponse,
  type CreateTopicsResponse,
  type DeleteGroupsResponse,
  type DeleteRecordsResponse,
  type DeleteTopicsResponse,
  type DescribeClusterResponse,
  type DescribeConfigsResponse,
  type DescribeGroupsResponse,
  type IncrementalAlterConfigsResponse,
  type ListGroupsResponse,
  type OffsetCommitResponse,
  type OffsetDeleteResponse,
  type AlterConfigsResponse,
} from "@gregor/protocol";
import { Cluster, type TopicInfo } from "./cluster.js";
import type { Connection } from "./connection.js";
import { KafkaProtocolError } from "./errors.js";
import { decodeAssignment, fetchCommittedOffsets, type CommittedOffset } from "./group.js";
import type { TopicPartitions } from "./assignors.js";
import { listOffsets, type OffsetAnswer, type OffsetQuery } from "./offsets.js";
import type { ClientOptions } from "./options.js";
import { groupBy } from "./internal/group-by.js";
import {
  RESOURCE_TYPE,
  type ClusterDescription,
  type ConfigEntry,
  type ConfigOp,
  type ConfigResourceType,
  type GroupDescription,
  type NewTopic,
} from "./admin-types.js";

export type {
  ClusterDescription,
  ConfigEntry,
  ConfigOp,
  ConfigResourceType,
  GroupDescription,
  NewTopic,
} from "./admin-types.js";

export class Admin {
  readonly cluster: Cluster;

  constructor(options: ClientOptions) {
    this.cluster = new Cluster(options);
  }

  private async controller(): Promise<Connection> {
    await this.cluster.refreshMetadata([]);
    const id = this.cluster.controllerId;
    return id >= 0 && this.cluster.brokers.has(id) ? this.cluster.broker(id) : this.cluster.anyBroker();
  }

  async createTopics(
    topics: readonly NewTopic[],
    options: { validateOnly?: boolean; timeoutMs?: number } = {},
  ): Promise<{ topic: string; topicId: string | null }[]> {
    const c = await this.controller();
    const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.topic,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: options.timeoutMs ?? 30_000,
      validateOnly: options.validateOnly ?? false,
    });
    for (const t of res.topics)
      if (t.errorCode !== 0) throw new KafkaProtocolError(t.errorCode, t.errorMessage ?? `topic ${t.name}`);
    return res.topics.map((t) => ({ topic: t.name, topicId: t.topicId ?? null }));
  }

  async deleteTopics(topics: readonly string[], options: { timeoutMs?: number } = {}): Promise<void> {
    const c = await this.controller();
    const res = await c.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, {
      topics: topics.map((name) => ({ name, topicId: "00000000-0000-0000-0000-000000000000" })),
      topicNames: [...topics],
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    for (const t of res.responses)
      if (t.errorCode !== 0) throw new KafkaProtocolError(t.errorCode, t.errorMessage ?? `topic ${t.name}`);
    for (const t of topics) this.cluster.topics.delete(t);
  }

  /** Topic names (internal topics only with `includeInternal`). */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const res = await this.cluster.refreshMetadata(null);
    return res.topics
      .filter((t) => t.errorCode === 0 && t.name !== null && (options.includeInternal || !t.isInternal))
      .map((t) => t.name!)
      .sort();
  }

  /** Partitions, leaders, replicas and ISR; throws UNKNOWN_TOPIC_OR_PARTITION for a missing topic. */
  async describeTopics(topics: readonly string[]): Promise<TopicInfo[]> {
    const res = await this.cluster.refreshMetadata(topics);
    for (const t of res.topics) if (t.errorCode !== 0) throw new KafkaProtocolError(t.errorCode, `topic ${t.name}`);
    return topics.map((t) => this.cluster.topics.get(t)!);
  }

  /** Raises topics' partition counts. */
  async createPartitions(
    topics: readonly { topic: string; count: number }[],
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const c = await this.controller();
    const res = await c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
      topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: null })),
      timeoutMs: 30_000,
      validateOnly: options.validateOnly ?? false,
    });
    for (const r of res.results)
      if (r.errorCode !== 0) throw new KafkaProtocolError(r.errorCode, r.errorMessage ?? `topic ${r.name}`);
  }

  async describeConfigs(
    resources: readonly { type: ConfigResourceType; name: string; configNames?: string[] }[],
  ): Promise<{ type: ConfigResourceType; name: string; configs: ConfigEntry[] }[]> {
    const out: { type: ConfigResourceType; name: string; configs: ConfigEntry[] }[] = [];
    for (const r of resources) {
      const c =
        r.type === "broker" && /^\d+$/.test(r.name)
          ? await this.brokerOrAny(Number(r.name))
          : await this.cluster.anyBroker();
      const res = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
        resources: [
          { resourceType: RESOURCE_TYPE[r.type], resourceName: r.name, configurationKeys: r.configNames ?? null },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      });
      for (const x of res.results) {
        if (x.errorCode !== 0) throw new KafkaProtocolError(x.errorCode, x.errorMessage ?? `${r.type} ${r.name}`);
        out.push({
          type: r.type,
          name: x.resourceName,
          configs: x.configs.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.isDefault ?? e.configSource === 5,
            isSensitive: e.isSensitive,
            source: e.configSource ?? -1,
          })),
        });
      }
    }
    return out;
  }

  private async brokerOrAny(id: number): Promise<Connection> {
    await this.cluster.refreshMetadata([]);
    return this.cluster.brokers.has(id) ? this.cluster.broker(id) : this.cluster.anyBroker();
  }

  /** Incremental changes (KIP-339): set/delete/append/subtract per config. */
  async incrementalAlterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; ops: readonly ConfigOp[] }[],
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;
    for (const r of resources) {
      const c =
        r.type === "broker" && /^\d+$/.test(r.name)
          ? await this.brokerOrAny(Number(r.name))
          : await this.cluster.anyBroker();
      const res = await c.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
        resources: [
          {
            resourceType: RESOURCE_TYPE[r.type],
            resourceName: r.name,
            configs: r.ops.map((o) => ({ name: o.name, configOperation: OPS[o.op ?? "set"], value: o.value })),
          },
        ],
        validateOnly: options.validateOnly ?? false,
      });
      for (const x of res.responses)
        if (x.errorCode !== 0) throw new KafkaProtocolError(x.errorCode, x.errorMessage ?? `${r.type} ${r.name}`);
    }
  }

  /** Replaces a resource's whole dynamic config (legacy AlterConfigs). */
  async alterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; configs: Readonly<Record<string, string>> }[],
  ): Promise<void> {
    const c = await this.cluster.anyBroker();
    const res = await c.request<AlterConfigsResponse>(ApiKey.AlterConfigs, {
      resources: resources.map((r) => ({
        resourceType: RESOURCE_TYPE[r.type],
        resourceName: r.name,
        configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })),
      })),
      validateOnly: false,
    });
    for (const x of res.responses)
      if (x.errorCode !== 0) throw new KafkaProtocolError(x.errorCode, x.errorMessage ?? x.resourceName);
  }

  /** Groups known to every broker (ListGroups is answered per coordinator). */
  async listGroups(): Promise<{ groupId: string; protocolType: string; state: string }[]> {
    await this.cluster.refreshMetadata([]);
    const out = new Map<string, { groupId: string; protocolType: string; state: string }>();
    for (const id of this.cluster.brokers.keys()) {
      const c = await this.cluster.broker(id);
      const res = await c.request<ListGroupsResponse>(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] });
      if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, "ListGroups");
      for (const g of res.groups)
        out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState ?? "" });
    }
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const c = await this.cluster.coordinator(groupId);
      const res = await c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, {
        groups: [groupId],
        includeAuthorizedOperations: false,
      });
      for (const g of res.groups) {
        if (g.errorCode !== 0) throw new KafkaProtocolError(g.errorCode, `group ${g.groupId}`);
        out.push({
          groupId: g.groupId,
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId ?? null,
            clientId: m.clientId,
            clientHost: m.clientHost,
            assignment: g.protocolType === "consumer" ? safeAssignment(m.memberAssignment) : [],
          })),
        });
      }
    }
    return out;
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const groupId of groupIds) {
      const c = await this.cluster.coordinator(groupId);
      const res = await c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, { groupsNames: [groupId] });
      for (const r of res.results)
        if (r.errorCode !== 0) throw new KafkaProtocolError(r.errorCode, `group ${r.groupId}`);
    }
  }

  /** Committed offsets of a group (all partitions it has committed when `topics` is omitted). */
  async fetchOffsets(groupId: string, topics?: readonly TopicPartitions[]): Promise<CommittedOffset[]> {
    return fetchCommittedOffsets(await this.cluster.coordinator(groupId), groupId, topics ?? null);
  }

  /** Sets a group's committed offsets (the group must have no active members, as with Kafka's tool). */
  async setOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    const c = await this.cluster.coordinator(groupId);
    const byTopic = groupBy(offsets, (item) => item.topic);
    const res = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({
          partitionIndex: p.partition,
          committedOffset: p.offset,
          committedLeaderEpoch: -1,
          commitTimestamp: -1n,
          committedMetadata: p.metadata ?? null,
        })),
      })),
    });
    for (const t of res.topics)
      for (const p of t.partitions)
        if (p.errorCode !== 0) throw new KafkaProtocolError(p.errorCode, `${t.name}-${p.partitionIndex}`);
  }

  /**
   * Deletes a group's committed offsets for these partitions (OffsetDelete). The group must not be
   * subscribed to their topics; per-partition errors come back (0 = deleted), a group-level error throws.
   */
  async deleteOffsets(
    groupId: string,
    partitions: readonly TopicPartitions[],
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const c = await this.cluster.coordinator(groupId);
    const res = await c.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, {
      groupId,
      topics: partitions.map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((partitionIndex) => ({ partitionIndex })),
      })),
    });
    if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, `group ${groupId}`);
    return res.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })),
    );
  }

  /** Offsets by time: earliest (-2n), latest (-1n) or a timestamp in ms. */
  listOffsets(
    queries: readonly OffsetQuery[],
    isolationLevel: "read_uncommitted" | "read_committed" = "read_uncommitted",
  ): Promise<OffsetAnswer[]> {
    return listOffsets(this.cluster, queries, isolationLevel === "read_committed" ? 1 : 0);
  }

  /** Moves partitions' log start offsets forward; returns the new low watermarks. */
  async deleteRecords(
    requests: readonly { topic: string; partition: number; offset: bigint }[],
  ): Promise<{ topic: string; partition: number; lowWatermark: bigint }[]> {
    await this.cluster.topicMetadata([...new Set(requests.map((r) => r.topic))], false);
    const byLeader = new Map<number, { topic: string; partition: number; offset: bigint }[]>();
    for (const r of requests) {
      const l = this.cluster.leaderOf(r.topic, r.partition);
      let list = byLeader.get(l);
      if (!list) {
        list = [];
        byLeader.set(l, list);
      }
      list.push(r);
    }
    const out: { topic: string; partition: number; lowWatermark: bigint }[] = [];
    for (const [leader, rs] of byLeader) {
      const c = await this.cluster.broker(leader);
      const topics = [...new Set(rs.map((r) => r.topic))];
      const res = await c.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, {
        topics: topics.map((name) => ({
          name,
          partitions: rs
            .filter((r) => r.topic === name)
            .map((r) => ({ partitionIndex: r.partition, offset: r.offset })),
        })),
        timeoutMs: 30_000,
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new KafkaProtocolError(p.errorCode, `${t.name}-${p.partitionIndex}`);
          out.push({ topic: t.name, partition: p.partitionIndex, lowWatermark: p.lowWatermark });
        }
      }
    }
    return out;
  }

  async describeCluster(): Promise<ClusterDescription> {
    const c = await this.cluster.anyBroker();
    if (c.supports(ApiKey.DescribeCluster)) {
      const res = await c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, {
        includeClusterAuthorizedOperations: false,
        endpointType: 1,
      });
      if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, res.errorMessage);
      return {
        clusterId: res.clusterId,
        controllerId: res.controllerId,
        brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })),
      };
    }
    await this.cluster.refreshMetadata([]);
    return {
      clusterId: this.cluster.clusterId,
      controllerId: this.cluster.controllerId,
      brokers: [...this.cluster.brokers.values()],
    };
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }
}

function safeAssignment(b: Buffer): TopicPartitions[] {
  try {
    return decodeAssignment(b);
  } catch {
    return [];
  }
}
