// The broker pool and metadata cache shared by producer, consumer and admin: one connection per
// broker (lazily opened, reopened with backoff after a failure), bootstrap from any listed address,
// and topic metadata refreshed on demand and when a request reports stale metadata
// (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, ...).
import { ApiKey, type FindCoordinatorResponse, type MetadataResponse } from "@gregor/protocol";
import { Connection } from "./connection.js";
import { GregorClientError, KafkaConnectionError, KafkaProtocolError, isStaleMetadataCode } from "./errors.js";
import { backoffMs, sleep } from "./internal/backoff.js";
import { childLogger, silentLogger, type Logger } from "./logger.js";
import { clientSchema, parseOptions, type ClientOptions, type ResolvedClientOptions } from "./options.js";

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

export class Cluster {
  readonly options: ResolvedClientOptions;
  readonly log: Logger;
  brokers = new Map<number, BrokerInfo>();
  topics = new Map<string, TopicInfo>();
  clusterId: string | null = null;
  controllerId = -1;
  private readonly conns = new Map<string, Promise<Connection>>();
  private readonly failures = new Map<string, number>();
  private readonly metadataAt = new Map<string, number>();
  private closed = false;

  constructor(options: ClientOptions) {
    this.options = parseOptions(clientSchema, options, "client");
    this.log = this.options.logger
      ? childLogger(this.options.logger, { clientId: this.options.clientId })
      : silentLogger;
  }

  /** A connection to the broker `nodeId` (-1 .. -n: the bootstrap addresses). */
  async broker(nodeId: number): Promise<Connection> {
    const b = this.brokers.get(nodeId);
    if (!b) throw new GregorClientError(`unknown broker id ${nodeId}`, true);
    return this.connectTo(b.host, b.port);
  }

  /** Any reachable broker: known brokers first, then the bootstrap list. */
  async anyBroker(): Promise<Connection> {
    const candidates: [string, number][] = [];
    for (const b of this.brokers.values()) candidates.push([b.host, b.port]);
    for (const a of this.options.bootstrapBrokers) {
      const i = a.lastIndexOf(":");
      candidates.push([a.slice(0, i).replace(/^\[|\]$/g, ""), Number(a.slice(i + 1))]);
    }
    // Prefer an already-open connection.
    for (const [h, p] of candidates) {
      const c = this.conns.get(`${h}:${p}`);
      if (c !== undefined) {
        try {
          const conn = await c;
          if (conn.isOpen) return conn;
        } catch {
          // try the next one
        }
      }
    }
    let last: unknown;
    for (const [h, p] of candidates) {
      try {
        return await this.connectTo(h, p);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error
      ? last
      : new KafkaConnectionError("no broker reachable", this.options.bootstrapBrokers.join(","));
  }

  private connectTo(host: string, port: number): Promise<Connection> {
    if (this.closed) return Promise.reject(new GregorClientError("client is closed"));
    const key = `${host}:${port}`;
    const existing = this.conns.get(key);
    if (existing !== undefined) return existing;
    const o = this.options;
    const p = (async () => {
      const failures = this.failures.get(key) ?? 0;
      if (failures > 0) await sleep(backoffMs(failures - 1, o.retry.initialRetryTimeMs, o.retry.maxRetryTimeMs));
      try {
        const c = await Connection.connect({
          host,
          port,
          clientId: o.clientId,
          connectTimeoutMs: o.connectTimeoutMs,
          requestTimeoutMs: o.requestTimeoutMs,
          maxInFlightRequests: o.maxInFlightRequests,
          logger: this.log,
          ...(o.tls !== undefined ? { tls: o.tls as boolean } : {}),
          ...(o.sasl !== undefined ? { sasl: o.sasl } : {}),
        });
        this.failures.delete(key);
        c.onClose = (err) => {
          if (this.conns.get(key) === p) this.conns.delete(key);
          if (err && !this.closed) this.log.debug({ broker: key, err: err.message }, "connection closed");
        };
        if (this.closed) c.close();
        return c;
      } catch (e) {
        this.failures.set(key, failures + 1);
        this.conns.delete(key);
        throw e;
      }
    })();
    this.conns.set(key, p);
    return p;
  }

  /**
   * Refreshes metadata for `topics` (all topics when null). Concurrent callers share one request.
   * Topics that do not exist are absent from the cache afterwards.
   */
  async refreshMetadata(
    topics: readonly string[] | null = null,
    allowAutoTopicCreation = false,
  ): Promise<MetadataResponse> {
    const c = await this.anyBroker();
    const v = c.version(ApiKey.Metadata);
    const req = {
      topics:
        topics === null
          ? v === 0
            ? []
            : null
          : topics.map((name) => ({ name, topicId: "00000000-0000-0000-0000-000000000000" })),
      allowAutoTopicCreation,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    };
    const res = await c.request<MetadataResponse>(ApiKey.Metadata, req);
    this.apply(res);
    return res;
  }

  private apply(res: MetadataResponse): void {
    const brokers = new Map<number, BrokerInfo>();
    for (const b of res.brokers)
      brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null });
    this.brokers = brokers;
    this.clusterId = res.clusterId ?? null;
    this.controllerId = res.controllerId ?? -1;
    const now = Date.now();
    for (const t of res.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== 0) {
        this.topics.delete(t.name);
        continue;
      }
      const partitions: PartitionInfo[] = [];
      for (const p of t.partitions) {
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        };
      }
      this.topics.set(t.name, {
        name: t.name,
        topicId: t.topicId ?? "",
        isInternal: t.isInternal ?? false,
        partitions,
      });
      this.metadataAt.set(t.name, now);
    }
  }

  /**
   * Metadata for `topics`, fetched when missing or older than metadataMaxAgeMs. Retries while
   * topics are being created or leaders elected; throws UNKNOWN_TOPIC_OR_PARTITION after the retries.
   */
  async topicMetadata(topics: readonly string[], allowAutoTopicCreation = true): Promise<TopicInfo[]> {
    const o = this.options;
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const missing = topics.filter((t) => {
        const m = this.topics.get(t);
        return (
          !m ||
          now - (this.metadataAt.get(t) ?? 0) > o.metadataMaxAgeMs ||
          m.partitions.some((p) => p === undefined || p.leader < 0)
        );
      });
      if (missing.length === 0) return topics.map((t) => this.topics.get(t)!);
      const res = await this.refreshTopics(missing, allowAutoTopicCreation);
      const bad = res.topics.find((t) => t.errorCode !== 0 && t.name !== null && missing.includes(t.name));
      const ready = missing.every((t) => {
        const m = this.topics.get(t);
        return m && m.partitions.length > 0 && m.partitions.every((p) => p !== undefined && p.leader >= 0);
      });
      if (ready) continue;
      if (attempt >= o.retry.retries) {
        if (bad) throw new KafkaProtocolError(bad.errorCode, `topic ${bad.name}`);
        throw new KafkaProtocolError(5, `topic ${missing.join(",")}`);
      }
      if (bad && !isStaleMetadataCode(bad.errorCode)) throw new KafkaProtocolError(bad.errorCode, `topic ${bad.name}`);
      await sleep(backoffMs(attempt, o.retry.initialRetryTimeMs, o.retry.maxRetryTimeMs));
    }
  }

  /** Coalesces concurrent refreshes of the same topics into one Metadata request. */
  private refreshTopics(topics: string[], allowAutoTopicCreation: boolean): Promise<MetadataResponse> {
    return this.refreshMetadata(topics, allowAutoTopicCreation);
  }

  /** Marks a topic's metadata stale, so the next lookup refreshes it. */
  invalidate(topic: string): void {
    this.metadataAt.delete(topic);
  }

  leaderOf(topic: string, partition: number): number {
    return this.topics.get(topic)?.partitions[partition]?.leader ?? -1;
  }

  /** The coordinator of a consumer group (keyType 0) or transactional id (1). */
  async coordinator(key: string, keyType = 0): Promise<Connection> {
    const o = this.options;
    for (let attempt = 0; ; attempt++) {
      const c = await this.anyBroker();
      const v = c.version(ApiKey.FindCoordinator);
      const res = await c.request<FindCoordinatorResponse>(
        ApiKey.FindCoordinator,
        v >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType },
      );
      const r =
        v >= 4
          ? res.coordinators?.[0]
          : {
              errorCode: res.errorCode ?? 0,
              errorMessage: res.errorMessage ?? null,
              nodeId: res.nodeId ?? -1,
              host: res.host ?? "",
              port: res.port ?? 0,
            };
      if (r && r.errorCode === 0) return this.connectTo(r.host, r.port);
      const code = r?.errorCode ?? -1;
      const err = new KafkaProtocolError(code, r?.errorMessage ?? null);
      if (!err.retriable || attempt >= o.retry.retries) throw err;
      await sleep(backoffMs(attempt, o.retry.initialRetryTimeMs, o.retry.maxRetryTimeMs));
    }
  }

  /** Open connections (for diagnostics). */
  get connectionCount(): number {
    return this.conns.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    for (const p of all) {
      try {
        (await p).close();
      } catch {
        // never opened
      }
    }
  }
}
