// Every broker key Gregor understands, with Kafka's name, default and range (log.dirs: ./data, not
// Kafka's /tmp/kafka-logs). Values are validated one by one here; checks across keys (roles,
// voters, listeners) are in kraft.ts.
import type { z } from "zod";
import {
  parseHostPorts,
  parseListeners,
  parseNames,
  parseRoles,
  parseSecurityProtocolMap,
  parseVoters,
} from "./parsers.js";
import { parseConnectionOverrides } from "./connection-overrides.js";
import { boolean, fraction, int, type KeyDef, k, LONG_MAX, long, oneOf, parsed, str } from "./schema.js";

const LISTENERS =
  "a comma-separated list of NAME://host:port, each name once (e.g. PLAINTEXT://:9092,CONTROLLER://:9093)";

/** Node identity, roles, the controller quorum and listeners (KIP-500, KIP-595, KIP-631). */
const KRAFT_KEYS = {
  "node.id": k(int(0), 1, "an integer >= 0"),
  "process.roles": k(parsed(parseRoles), "broker,controller", "broker, controller or broker,controller"),
  "controller.quorum.voters": k(
    parsed(parseVoters),
    "",
    "a comma-separated list of {id}@{host}:{port} with distinct ids (e.g. 1@localhost:9093,2@localhost:9095)",
  ),
  "controller.quorum.bootstrap.servers": k(
    parsed(parseHostPorts),
    "",
    "a comma-separated list of {host}:{port} (e.g. localhost:9093)",
  ),
  "controller.listener.names": k(parsed(parseNames), "CONTROLLER", "a comma-separated list of listener names"),
  listeners: k(parsed(parseListeners), "PLAINTEXT://:9092", LISTENERS),
  "advertised.listeners": k(
    str().refine((s) => s.trim() === "" || parseListeners(s) !== null),
    "",
    LISTENERS,
  ),
  "listener.security.protocol.map": k(
    parsed(parseSecurityProtocolMap),
    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
    "a comma-separated list of NAME:PROTOCOL, PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
  ),
  "inter.broker.listener.name": k(parsed(parseNames), "PLAINTEXT", "a listener name"),
  "broker.rack": k(str().nullable(), null, "a string"),
  "broker.session.timeout.ms": k(int(1), 9000, "an integer >= 1"),
  "broker.heartbeat.interval.ms": k(int(1), 2000, "an integer >= 1"),
  "controller.quorum.election.timeout.ms": k(int(1), 1000, "an integer >= 1"),
  "controller.quorum.fetch.timeout.ms": k(int(1), 2000, "an integer >= 1"),
  "controller.quorum.election.backoff.max.ms": k(int(1), 1000, "an integer >= 1"),
  "controller.quorum.append.linger.ms": k(int(0), 25, "an integer >= 0"),
  "controller.quorum.request.timeout.ms": k(int(1), 2000, "an integer >= 1"),
  "metadata.log.dir": k(str().nullable(), null, "a directory"),
  "metadata.log.max.record.bytes.between.snapshots": k(long(1), 20971520, "an integer >= 1"),
  "metadata.log.max.snapshot.interval.ms": k(long(0), 3600000, "an integer >= 0"),
  "metadata.max.idle.interval.ms": k(int(0), 500, "an integer >= 0"),
} as const satisfies Record<string, KeyDef>;

/** Replica placement, ISR, leader election and the follower fetchers. */
const REPLICATION_KEYS = {
  "default.replication.factor": k(int(1, 32767), 1, "an integer in [1, 32767]"),
  "min.insync.replicas": k(int(1), 1, "an integer >= 1"),
  "offsets.topic.replication.factor": k(int(1, 32767), 3, "an integer in [1, 32767]"),
  "transaction.state.log.replication.factor": k(int(1, 32767), 3, "an integer in [1, 32767]"),
  "unclean.leader.election.enable": k(boolean(), false, "true or false"),
  "auto.leader.rebalance.enable": k(boolean(), true, "true or false"),
  "leader.imbalance.check.interval.seconds": k(long(1), 300, "an integer >= 1"),
  "leader.imbalance.per.broker.percentage": k(int(0, 100), 10, "an integer in [0, 100]"),
  "replica.lag.time.max.ms": k(long(1), 30000, "an integer >= 1"),
  "replica.high.watermark.checkpoint.interval.ms": k(long(1), 5000, "an integer >= 1"),
  "replica.fetch.max.bytes": k(int(0), 1048576, "an integer >= 0"),
  "replica.fetch.response.max.bytes": k(int(0), 10485760, "an integer >= 0"),
  "replica.fetch.wait.max.ms": k(int(0), 500, "an integer >= 0"),
  "replica.fetch.min.bytes": k(int(1), 1, "an integer >= 1"),
  "num.replica.fetchers": k(int(1), 1, "an integer >= 1"),
  "replica.socket.timeout.ms": k(int(1), 30000, "an integer >= 1"),
  "replica.fetch.backoff.ms": k(int(0), 1000, "an integer >= 0"),
} as const satisfies Record<string, KeyDef>;

/** Logs, requests, groups. */
const SERVER_KEYS = {
  "log.dirs": k(
    str().refine((s) => s.trim() !== ""),
    "./data",
    "a non-empty comma-separated list of directories",
  ),
  "num.partitions": k(int(1), 1, "an integer >= 1"),
  "auto.create.topics.enable": k(boolean(), true, "true or false"),
  "delete.topic.enable": k(boolean(), true, "true or false"),
  "socket.request.max.bytes": k(int(1), 104857600, "an integer >= 1"),
  "queued.max.requests": k(int(1), 500, "an integer >= 1 (Gregor: in-flight requests per connection)"),
  "connections.max.idle.ms": k(long(-1), 600000, "an integer >= -1"),
  "max.connections": k(int(0), 2147483647, "an integer >= 0"),
  "max.connections.per.ip": k(int(0), 2147483647, "an integer >= 0"),
  "max.connections.per.ip.overrides": k(
    parsed(parseConnectionOverrides),
    "",
    "a comma-separated list of host:count (e.g. 10.0.0.7:200,client.example.com:50)",
  ),
  // A request frame still arriving after this long closes its connection: a client sending a byte
  // now and then would hold a socket and a buffer forever otherwise (issue 13). 0 = off.
  "gregor.socket.request.read.timeout.ms": k(long(0), 30000, "an integer >= 0 (0 turns it off)"),
  "message.max.bytes": k(int(0), 1048588, "an integer >= 0"),
  "log.segment.bytes": k(int(14), 1073741824, "an integer in [14, 2147483647]"),
  "log.roll.hours": k(int(1), 168, "an integer >= 1"),
  "log.roll.ms": k(long(1).nullable(), null, "an integer >= 1"),
  "log.retention.hours": k(int(-1), 168, "an integer >= -1"),
  "log.retention.minutes": k(int(-1).nullable(), null, "an integer >= -1"),
  "log.retention.ms": k(long(-1).nullable(), null, "an integer >= -1"),
  "log.retention.bytes": k(long(-1), -1, "an integer >= -1"),
  "log.retention.check.interval.ms": k(long(1), 300000, "an integer >= 1"),
  "log.flush.interval.messages": k(long(1), LONG_MAX, "an integer >= 1"),
  "log.flush.interval.ms": k(long(0).nullable(), null, "an integer >= 0"),
  "log.message.timestamp.type": k(oneOf("CreateTime", "LogAppendTime"), "CreateTime", "CreateTime or LogAppendTime"),
  "log.cleanup.policy": k(
    oneOf("delete", "compact", "compact,delete", "delete,compact"),
    "delete",
    "delete, compact or compact,delete",
  ),
  "log.index.interval.bytes": k(int(0), 4096, "an integer >= 0"),
  "log.index.size.max.bytes": k(int(4), 10485760, "an integer >= 4"),
  "log.cleaner.delete.retention.ms": k(long(0), 86400000, "an integer >= 0"),
  "log.cleaner.enable": k(boolean(), true, "true or false"),
  "log.cleaner.backoff.ms": k(long(0), 15000, "an integer >= 0"),
  "log.cleaner.min.cleanable.ratio": k(fraction(), 0.5, "a number in [0, 1]"),
  "log.cleaner.min.compaction.lag.ms": k(long(0), 0, "an integer >= 0"),
  "log.cleaner.max.compaction.lag.ms": k(long(1), LONG_MAX, "an integer >= 1"),
  "compression.type": k(
    oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
    "producer",
    "producer, uncompressed, gzip, snappy, lz4 or zstd",
  ),
  "offsets.topic.num.partitions": k(int(1), 50, "an integer >= 1"),
  "offsets.topic.segment.bytes": k(int(1), 104857600, "an integer >= 1"),
  "offsets.retention.minutes": k(int(1), 10080, "an integer >= 1"),
  "offsets.retention.check.interval.ms": k(long(1), 600000, "an integer >= 1"),
  "group.initial.rebalance.delay.ms": k(int(0), 3000, "an integer >= 0"),
  "group.min.session.timeout.ms": k(int(0), 6000, "an integer >= 0"),
  "group.max.session.timeout.ms": k(int(0), 1800000, "an integer >= 0"),
  "group.max.size": k(int(1), 2147483647, "an integer >= 1"),
  "transaction.state.log.num.partitions": k(int(1), 50, "an integer >= 1"),
  "transactional.id.expiration.ms": k(int(1), 604800000, "an integer >= 1"),
  "gregor.admin.port": k(int(-1, 65535), 9644, "a port in [0, 65535], or -1 to disable"),
  // Produces to a log dir are refused (KAFKA_STORAGE_ERROR, retriable) while its filesystem has
  // less available than this, so a full disk stops writes without a write failing half-done
  // (Redpanda's storage_min_free_bytes; issue 13). Internal topics are exempt. 0 = off.
  "gregor.storage.min.free.bytes": k(long(0), 16 * 1024 * 1024, "an integer >= 0 (0 turns the check off)"),
  // A broker whose controller connection closed and did not come back within this grace is fenced
  // at once instead of after broker.session.timeout.ms (a crashed process closes its sockets). 0 = off.
  "gregor.controller.connection.grace.ms": k(int(0), 500, "an integer >= 0"),
} as const satisfies Record<string, KeyDef>;

export const BROKER_KEYS = { ...KRAFT_KEYS, ...REPLICATION_KEYS, ...SERVER_KEYS } as const satisfies Record<
  string,
  KeyDef
>;

export type BrokerKey = keyof typeof BROKER_KEYS;
export type BrokerConfig = { [K in BrokerKey]: z.output<(typeof BROKER_KEYS)[K]["schema"]> } & {
  /** Keys Gregor does not know (kept, and logged at start-up: see configWarnings). */
  readonly unknown: Readonly<Record<string, string>>;
};
