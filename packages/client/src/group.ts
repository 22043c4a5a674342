// One member of a classic consumer group (JoinGroup / SyncGroup / Heartbeat / LeaveGroup), with
// offset commit and fetch against the group coordinator. Eager assignors revoke everything before a
// rejoin; cooperative ones revoke only partitions taken away, then rejoin (KIP-429). Static
// membership (KIP-345): a groupInstanceId survives restarts and does not send LeaveGroup on close.
import {
  ApiKey,
  type HeartbeatResponse,
  type JoinGroupResponse,
  type LeaveGroupResponse,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
  type SyncGroupResponse,
} from "@gregor/protocol";
import {
  Reader,
  Writer,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
} from "@gregor/protocol";
import type { Assignor, GroupAssignment, MemberSubscription, TopicPartitions } from "./assignors.js";
import type { Cluster } from "./cluster.js";
import type { Connection } from "./connection.js";
import { GregorClientError, KafkaProtocolError, ResponseDecodeError } from "./errors.js";
import { backoffMs, sleep } from "./internal/backoff.js";
import { groupBy } from "./internal/group-by.js";

export interface GroupOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: Assignor[];
}

export interface GroupCallbacks {
  /** Topics this member subscribes to now (resolves RegExp subscriptions against metadata). */
  subscription(): Promise<string[]>;
  onAssigned(partitions: TopicPartitions[]): Promise<void>;
  onRevoked(partitions: TopicPartitions[]): Promise<void>;
  onError(err: Error): void;
  /** A heartbeat or commit learned that a rebalance is under way: call ensureJoined() soon. */
  onRejoinNeeded(): void;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

function encodeEmbedded(version: number, enc: (w: Writer, v: number) => void): Buffer {
  const w = new Writer(64);
  w.int16(version);
  enc(w, version);
  return w.toBuffer();
}

export class GroupMember {
  memberId = "";
  generationId = -1;
  protocolName: string | null = null;
  owned: TopicPartitions[] = [];
  private coordinator: Connection | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private rejoinNeeded = true;
  private joining: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly o: GroupOptions,
    private readonly cb: GroupCallbacks,
  ) {}

  get needsRejoin(): boolean {
    return this.rejoinNeeded;
  }

  private async coord(): Promise<Connection> {
    if (this.coordinator?.isOpen) return this.coordinator;
    this.coordinator = await this.cluster.coordinator(this.o.groupId, 0);
    return this.coordinator;
  }

  /** Joins (or rejoins) the group; concurrent callers share one rebalance. */
  ensureJoined(): Promise<void> {
    if (!this.rejoinNeeded) return Promise.resolve();
    this.joining ??= this.joinLoop().finally(() => {
      this.joining = null;
    });
    return this.joining;
  }

  private async joinLoop(): Promise<void> {
    const retry = this.cluster.options.retry;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.joinOnce();
        if (!this.rejoinNeeded) return;
      } catch (e) {
        const err = e as Error;
        const badSync0 = err instanceof ResponseDecodeError && err.apiKey === ApiKey.SyncGroup;
        const code = err instanceof KafkaProtocolError ? err.code : badSync0 ? 27 : -2;
        if (code === 16 || code === 15 || code === -2) this.coordinator = null; // NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / network
        if (code === 25 || code === 22) this.memberId = this.o.groupInstanceId ? this.memberId : ""; // UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION
        if (code === 25) this.memberId = "";
        // librdkafka's mock answers a SyncGroup that lost a rebalance race with a null assignment,
        // which is not valid for the field; rejoining is the right reaction either way.
        const badSync = err instanceof ResponseDecodeError && err.apiKey === ApiKey.SyncGroup;
        const retriable =
          (err instanceof GregorClientError && err.retriable) ||
          badSync ||
          code === 27 ||
          code === 25 ||
          code === 22 ||
          code === 79;
        if (!retriable || attempt >= Math.max(retry.retries, 10)) throw err;
        this.cluster.log.debug({ groupId: this.o.groupId, err: err.message }, "rejoining group");
        if (code !== 27 && code !== 79) await sleep(backoffMs(attempt, retry.initialRetryTimeMs, retry.maxRetryTimeMs));
      }
    }
  }

  private async joinOnce(): Promise<void> {
    const topics = await this.cb.subscription();
    const eager = this.o.assignors.every((a) => a.protocol === "eager");
    if (eager && this.owned.length > 0) {
      const revoked = this.owned;
      this.owned = [];
      await this.cb.onRevoked(revoked);
    }
    const c = await this.coord();
    const subscription = (v: number): Buffer =>
      encodeEmbedded(v, (w, vv) =>
        encodeConsumerProtocolSubscription(w, vv, {
          topics,
          userData: null,
          ownedPartitions: this.owned,
          generationId: this.generationId,
          rackId: null,
        }),
      );
    const join = await c.request<JoinGroupResponse>(ApiKey.JoinGroup, {
      groupId: this.o.groupId,
      sessionTimeoutMs: this.o.sessionTimeoutMs,
      rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
      memberId: this.memberId,
      groupInstanceId: this.o.groupInstanceId,
      protocolType: "consumer",
      protocols: this.o.assignors.map((a) => ({
        name: a.name,
        metadata: subscription(a.protocol === "eager" ? 1 : 2),
      })),
      reason: null,
    });
    if (join.errorCode === 79) {
      // MEMBER_ID_REQUIRED (KIP-394): rejoin with the id the coordinator handed out.
      this.memberId = join.memberId;
      throw new KafkaProtocolError(79);
    }
    if (join.errorCode !== 0) throw new KafkaProtocolError(join.errorCode, `JoinGroup ${this.o.groupId}`);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocolName = join.protocolName;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (join.leader === join.memberId && !join.skipAssignment) assignments = await this.leaderAssign(join);
    const sync = await c.request<SyncGroupResponse>(ApiKey.SyncGroup, {
      groupId: this.o.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.o.groupInstanceId,
      protocolType: "consumer",
      protocolName: this.protocolName,
      assignments,
    });
    if (sync.errorCode !== 0) throw new KafkaProtocolError(sync.errorCode, `SyncGroup ${this.o.groupId}`);
    const assigned = decodeAssignment(sync.assignment);
    this.cluster.log.debug(
      {
        groupId: this.o.groupId,
        memberId: this.memberId,
        generationId: this.generationId,
        leader: join.leader === join.memberId,
        members: join.members.length,
        assigned,
      },
      "synced group",
    );
    const keep = new Set(assigned.flatMap((t) => t.partitions.map((p) => `${t.topic}\0${p}`)));
    const revoked = this.owned
      .map((t) => ({ topic: t.topic, partitions: t.partitions.filter((p) => !keep.has(`${t.topic}\0${p}`)) }))
      .filter((t) => t.partitions.length > 0);
    this.owned = assigned;
    this.rejoinNeeded = false;
    if (revoked.length > 0) {
      await this.cb.onRevoked(revoked);
      this.rejoinNeeded = true; // cooperative: partitions revoked, rejoin so they can move
    }
    await this.cb.onAssigned(assigned);
    this.startHeartbeat();
  }

  private async leaderAssign(join: JoinGroupResponse): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.o.assignors.find((a) => a.name === join.protocolName);
    if (!assignor)
      throw new GregorClientError(`the group chose assignor ${join.protocolName}, which this member does not have`);
    const members: MemberSubscription[] = join.members.map((m) => {
      const r = new Reader(m.metadata);
      const v = r.int16();
      const s = decodeConsumerProtocolSubscription(r, Math.min(v, 3));
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        topics: s.topics,
        ownedPartitions: (s.ownedPartitions ?? []).map((o) => ({ topic: o.topic, partitions: o.partitions })),
      };
    });
    const topics = [...new Set(members.flatMap((m) => m.topics))];
    const meta =
      topics.length > 0
        ? await this.cluster
            .topicMetadata(topics, false)
            .catch(() =>
              this.cluster.refreshMetadata(topics).then(() => topics.flatMap((t) => this.cluster.topics.get(t) ?? [])),
            )
        : [];
    const counts = new Map<string, number>();
    for (const t of meta) counts.set(t.name, t.partitions.length);
    const result: GroupAssignment = assignor.assign(members, counts);
    return [...result].map(([memberId, tps]) => ({
      memberId,
      assignment: encodeEmbedded(0, (w, v) =>
        encodeConsumerProtocolAssignment(w, v, {
          assignedPartitions: [...tps].map(([topic, partitions]) => ({ topic, partitions })),
          userData: null,
        }),
      ),
    }));
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.o.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || this.rejoinNeeded || this.joining) return;
    try {
      const c = await this.coord();
      const res = await c.request<HeartbeatResponse>(ApiKey.Heartbeat, {
        groupId: this.o.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.o.groupInstanceId,
      });
      if (res.errorCode === 0) return;
      if (res.errorCode === 27) {
        this.rejoinNeeded = true; // REBALANCE_IN_PROGRESS
        this.cb.onRejoinNeeded();
      } else if (res.errorCode === 25 || res.errorCode === 22 || res.errorCode === 82) {
        if (res.errorCode === 82)
          this.cb.onError(new KafkaProtocolError(82, "another member uses this groupInstanceId"));
        this.memberId = res.errorCode === 25 ? "" : this.memberId;
        this.rejoinNeeded = true;
        this.cb.onRejoinNeeded();
      } else if (res.errorCode === 16 || res.errorCode === 15) this.coordinator = null;
    } catch {
      this.coordinator = null;
    }
  }

  /** Commits offsets (the next offset to read, Kafka's convention). */
  async commit(offsets: readonly CommittedOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = groupBy(offsets, (item) => item.topic);
    const c = await this.coord();
    const res = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
      groupId: this.o.groupId,
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.o.groupInstanceId,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({
          partitionIndex: p.partition,
          committedOffset: p.offset,
          committedLeaderEpoch: p.leaderEpoch ?? -1,
          commitTimestamp: -1n,
          committedMetadata: p.metadata ?? null,
        })),
      })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 27 || p.errorCode === 22 || p.errorCode === 25) this.rejoinNeeded = true;
        if (p.errorCode !== 0) throw new KafkaProtocolError(p.errorCode, `OffsetCommit ${t.name}-${p.partitionIndex}`);
      }
    }
  }

  /** Committed offsets (-1n where none). */
  async fetchCommitted(partitions: readonly TopicPartitions[]): Promise<CommittedOffset[]> {
    return fetchCommittedOffsets(await this.coord(), this.o.groupId, partitions);
  }

  async leave(): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    if (this.memberId === "" || this.o.groupInstanceId !== null) return;
    try {
      const c = await this.coord();
      await c.request<LeaveGroupResponse>(ApiKey.LeaveGroup, {
        groupId: this.o.groupId,
        memberId: this.memberId,
        members: [{ memberId: this.memberId, groupInstanceId: null, reason: "consumer closed" }],
      });
    } catch (e) {
      this.cluster.log.debug({ err: (e as Error).message }, "LeaveGroup failed");
    }
  }
}

export function decodeAssignment(buf: Buffer): TopicPartitions[] {
  if (buf.length === 0) return [];
  const r = new Reader(buf);
  const v = r.int16();
  const a = decodeConsumerProtocolAssignment(r, Math.min(v, 3));
  return a.assignedPartitions.map((t) => ({ topic: t.topic, partitions: t.partitions }));
}

export async function fetchCommittedOffsets(
  c: Connection,
  groupId: string,
  partitions: readonly TopicPartitions[] | null,
): Promise<CommittedOffset[]> {
  const v = c.version(ApiKey.OffsetFetch);
  const topics =
    partitions === null ? null : partitions.map((t) => ({ name: t.topic, partitionIndexes: t.partitions }));
  const res = await c.request<OffsetFetchResponse>(
    ApiKey.OffsetFetch,
    v >= 8
      ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], requireStable: false }
      : { groupId, topics, requireStable: false },
  );
  const out: CommittedOffset[] = [];
  if (v >= 8) {
    const g = res.groups?.[0];
    if (!g) return out;
    if (g.errorCode !== 0) throw new KafkaProtocolError(g.errorCode, `OffsetFetch ${groupId}`);
    for (const t of g.topics)
      for (const p of t.partitions)
        out.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.metadata,
        });
  } else {
    if (res.errorCode) throw new KafkaProtocolError(res.errorCode, `OffsetFetch ${groupId}`);
    for (const t of res.topics ?? [])
      for (const p of t.partitions)
        out.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata: p.metadata,
        });
  }
  return out;
}
