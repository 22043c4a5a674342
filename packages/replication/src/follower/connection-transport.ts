// LeaderTransport over a real connection (@gregor/client's Connection: Kafka framing, version
// negotiation, pipelining). Connects lazily; a lost connection fails the calls in flight and the
// next call reconnects (the fetcher has backed off replica.fetch.backoff.ms in between). Fetch is
// sent at v12 at most: topic names, lastFetchedEpoch and divergingEpoch (KIP-320/595); no fetch
// session (every fetch is a full one, KIP-227 sessions are an optimisation left out).
import { Connection, type Logger } from "@gregor/client";
import {
  ApiKey,
  type FetchRequest,
  type FetchResponse,
  type ListOffsetsResponse,
  type OffsetForLeaderEpochResponse,
  recordsToBuffer,
} from "@gregor/protocol";
import type {
  EpochRequest,
  EpochResult,
  FetchPartitionResult,
  LeaderTransport,
  ReplicaFetchRequest,
  TopicPartition,
} from "./types.js";

export interface LeaderAddress {
  host: string;
  port: number;
}

export interface ConnectionTransportOptions {
  /** Where the leader is; asked at every (re)connect, so a moved endpoint is followed. */
  leader: () => LeaderAddress | null;
  clientId: string;
  /** replica.socket.timeout.ms; must exceed replica.fetch.wait.max.ms. */
  requestTimeoutMs: number;
  connectTimeoutMs?: number;
  localAddress?: string;
  logger?: Logger;
}

const FETCH_MAX_VERSION = 12;
const DIVERGING_EPOCH_MIN_VERSION = 12;

export class ConnectionTransport implements LeaderTransport {
  private connection: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private closed = false;

  constructor(private readonly options: ConnectionTransportOptions) {}

  async supportsDivergingEpoch(): Promise<boolean> {
    const c = await this.connect();
    return c.version(ApiKey.Fetch, FETCH_MAX_VERSION) >= DIVERGING_EPOCH_MIN_VERSION;
  }

  async fetch(request: ReplicaFetchRequest): Promise<FetchPartitionResult[]> {
    const c = await this.connect();
    const version = c.version(ApiKey.Fetch, FETCH_MAX_VERSION);
    const body: FetchRequest = {
      replicaId: request.replicaId,
      maxWaitMs: request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: request.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: byTopic(request.partitions, (p) => ({
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch,
        fetchOffset: BigInt(p.fetchOffset),
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: BigInt(p.logStartOffset),
        partitionMaxBytes: p.partitionMaxBytes,
      })).map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: "",
    };
    const res = await c.request<FetchResponse>(ApiKey.Fetch, body, { apiVersion: version });
    const out: FetchPartitionResult[] = [];
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const diverging = p.divergingEpoch;
        out.push({
          topic: t.topic ?? "",
          partition: p.partitionIndex,
          // A top-level error (v7+) applies to every partition.
          errorCode: p.errorCode !== 0 ? p.errorCode : (res.errorCode ?? 0),
          highWatermark: Number(p.highWatermark),
          logStartOffset: Number(p.logStartOffset ?? -1n),
          divergingEpoch:
            diverging !== undefined && diverging.epoch >= 0
              ? { epoch: diverging.epoch, endOffset: Number(diverging.endOffset) }
              : null,
          records: recordsToBuffer(p.records),
        });
      }
    }
    return out;
  }

  async offsetsForLeaderEpoch(replicaId: number, partitions: EpochRequest[]): Promise<EpochResult[]> {
    const c = await this.connect();
    const res = await c.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, {
      replicaId,
      topics: byTopic(partitions, (p) => ({
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch,
        leaderEpoch: p.leaderEpoch,
      })).map(([topic, parts]) => ({ topic, partitions: parts })),
    });
    return res.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.topic,
        partition: p.partition,
        errorCode: p.errorCode,
        leaderEpoch: p.leaderEpoch ?? -1,
        endOffset: Number(p.endOffset),
      })),
    );
  }

  async listOffset(
    replicaId: number,
    tp: TopicPartition,
    currentLeaderEpoch: number,
    timestamp: number,
  ): Promise<{ errorCode: number; offset: number }> {
    const c = await this.connect();
    const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, {
      replicaId,
      isolationLevel: 0,
      topics: [
        {
          name: tp.topic,
          partitions: [{ partitionIndex: tp.partition, currentLeaderEpoch, timestamp: BigInt(timestamp) }],
        },
      ],
    });
    const p = res.topics[0]?.partitions[0];
    if (p === undefined) return { errorCode: -1, offset: -1 };
    return { errorCode: p.errorCode, offset: Number(p.offset ?? p.oldStyleOffsets?.[0] ?? -1n) };
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = null;
  }

  private connect(): Promise<Connection> {
    if (this.connection?.isOpen === true) return Promise.resolve(this.connection);
    if (this.closed) return Promise.reject(new Error("fetcher transport closed"));
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    const leader = this.options.leader();
    if (leader === null) throw new Error("the leader has no endpoint on the inter-broker listener");
    const o = this.options;
    const c = await Connection.connect({
      host: leader.host,
      port: leader.port,
      clientId: o.clientId,
      requestTimeoutMs: o.requestTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs ?? o.requestTimeoutMs,
      ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}),
      ...(o.logger !== undefined ? { logger: o.logger } : {}),
    });
    if (this.closed) {
      c.close();
      throw new Error("fetcher transport closed");
    }
    this.connection = c;
    return c;
  }
}

function byTopic<T extends TopicPartition, U>(parts: readonly T[], map: (p: T) => U): [string, U[]][] {
  const out = new Map<string, U[]>();
  for (const p of parts) {
    const list = out.get(p.topic);
    if (list === undefined) out.set(p.topic, [map(p)]);
    else list.push(map(p));
  }
  return [...out];
}
