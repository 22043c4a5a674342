// The follower half of replication in the broker (Kafka's ReplicaFetcherManager): a replica
// fetcher per (leader broker, fetcher id), `num.replica.fetchers` per leader, each partition on
// the fetcher its (topic, partition) hashes to (Kafka's getFetcherId). It listens to leadership
// changes: a partition this broker follows joins the fetcher of its leader at the image's leader
// epoch (moving off the old leader's fetcher); one it now leads, or no longer hosts, leaves its
// fetcher. It subscribes before the leader side (ReplicaManager) so a partition stops fetching
// before its leader state starts serving. A fetcher left with no partitions closes its connection.
import {
  ConnectionTransport,
  FetcherRunLoop,
  type LeaderAddress,
  ReplicaFetcher,
  type ReplicaFetcherConfig,
  type TopicPartition,
} from "@gregor/replication";
import type { Logger } from "pino";
import { outboundLocalAddress } from "../cluster/outbound-address.js";
import type { BrokerConfig } from "../config/broker-config.js";
import { brokerListener } from "../config/kraft.js";
import { endpointOf } from "../metadata/broker-endpoints.js";
import type { LeaderPartition, LeadershipListener, PartitionState, TopicManager } from "../metadata/topic-manager.js";
import { fetcherEvents } from "./fetcher-events.js";

/** How long close() waits for a fetcher's round in flight (a connect may hang longer). */
const STOP_WAIT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

interface RunningFetcher {
  readonly key: string;
  readonly fetcher: ReplicaFetcher;
  readonly loop: FetcherRunLoop;
}

export class ReplicaFetcherManager implements LeadershipListener {
  private readonly fetchers = new Map<string, RunningFetcher>();
  /** Which fetcher each followed partition is on. */
  private readonly assigned = new Map<string, RunningFetcher>();
  private readonly fetcherConfig: ReplicaFetcherConfig;
  private readonly listenerName: string;
  private readonly localAddress: string | undefined;
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicManager,
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.fetcherConfig = {
      brokerId: config["node.id"],
      maxWaitMs: config["replica.fetch.wait.max.ms"],
      minBytes: config["replica.fetch.min.bytes"],
      maxBytes: config["replica.fetch.response.max.bytes"],
      partitionMaxBytes: config["replica.fetch.max.bytes"],
      backoffMs: config["replica.fetch.backoff.ms"],
    };
    this.listenerName = brokerListener(config)?.name ?? config["inter.broker.listener.name"];
    this.localAddress = outboundLocalAddress(config);
    topics.addLeadershipListener(this);
  }

  /** Partitions being fetched, by leader (tests, metrics). */
  followed(): Map<number, TopicPartition[]> {
    const out = new Map<number, TopicPartition[]>();
    for (const [key, running] of this.assigned) {
      const list = out.get(running.fetcher.sourceBrokerId) ?? [];
      list.push(parseKey(key));
      out.set(running.fetcher.sourceBrokerId, list);
    }
    return out;
  }

  onBecomeLeader(topic: string, p: LeaderPartition): void {
    this.remove({ topic, partition: p.index }, "this broker leads it");
  }

  onBecomeFollower(topic: string, p: PartitionState): void {
    const tp = { topic, partition: p.index };
    const self = this.config["node.id"];
    if (this.closed || p.log === null || p.leader < 0 || p.leader === self) {
      this.remove(tp, p.log === null ? "replica removed" : "no leader");
      return;
    }
    const target = this.fetcherFor(p.leader, fetcherId(topic, p.index, this.config["num.replica.fetchers"]));
    const key = keyOf(tp);
    const current = this.assigned.get(key);
    if (current !== undefined && current !== target) this.remove(tp, `leader moved to ${p.leader}`);
    target.fetcher.addPartition(tp, p.log, p.leaderEpoch);
    this.assigned.set(key, target);
    target.loop.wake();
    this.logger.info(
      { topic, partition: p.index, leader: p.leader, leaderEpoch: p.leaderEpoch, fetchOffset: p.log.logEndOffset },
      "replica fetching from leader",
    );
  }

  /** Stops every fetcher (before the logs close). */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.fetchers.values()];
    this.fetchers.clear();
    this.assigned.clear();
    await Promise.all(running.map((r) => this.stop(r)));
  }

  private remove(tp: TopicPartition, reason: string): void {
    const key = keyOf(tp);
    const running = this.assigned.get(key);
    if (running === undefined) return;
    this.assigned.delete(key);
    running.fetcher.removePartition(tp);
    this.logger.info({ ...tp, leader: running.fetcher.sourceBrokerId, reason }, "replica stopped fetching");
    if (running.fetcher.partitionCount === 0) {
      this.fetchers.delete(running.key);
      void this.stop(running);
    }
  }

  private fetcherFor(leader: number, id: number): RunningFetcher {
    const key = `${leader}:${id}`;
    const existing = this.fetchers.get(key);
    if (existing !== undefined) return existing;
    const transport = new ConnectionTransport({
      leader: () => this.leaderAddress(leader),
      clientId: `broker-${this.config["node.id"]}-fetcher-${id}`,
      requestTimeoutMs: this.config["replica.socket.timeout.ms"],
      connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, this.config["replica.socket.timeout.ms"]),
      ...(this.localAddress !== undefined ? { localAddress: this.localAddress } : {}),
    });
    const events = fetcherEvents(this.logger, leader, id, this.nowMs);
    const fetcher = new ReplicaFetcher(leader, id, transport, this.fetcherConfig, this.nowMs, events);
    const loop = new FetcherRunLoop(fetcher, (err) =>
      this.logger.error({ err, leader, fetcherId: id }, "replica fetcher failed; retrying"),
    );
    const running = { key, fetcher, loop };
    this.fetchers.set(key, running);
    loop.start();
    return running;
  }

  private leaderAddress(leader: number): LeaderAddress | null {
    const broker = this.topics.image.brokers.get(leader);
    if (broker === undefined) return null;
    const e = endpointOf(broker, this.listenerName);
    if (e === null) return null;
    return { host: e.host === "" || e.host === "0.0.0.0" ? "127.0.0.1" : e.host, port: e.port };
  }

  private async stop(running: RunningFetcher): Promise<void> {
    running.fetcher.close();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
    });
    await Promise.race([running.loop.stop(), timeout]);
    clearTimeout(timer);
  }
}

const keyOf = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

function parseKey(key: string): TopicPartition {
  const i = key.lastIndexOf("\u0000");
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/** Kafka's getFetcherId: abs(31 * topic.hashCode + partition) % num.replica.fetchers. */
export function fetcherId(topic: string, partition: number, numFetchers: number): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(h, 31) + topic.charCodeAt(i)) | 0;
  const v = (Math.imul(h, 31) + partition) | 0;
  return Math.abs(v) % numFetchers;
}
