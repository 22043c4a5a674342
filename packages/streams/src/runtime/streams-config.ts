// KafkaStreams' options, in Kafka's names (camelCase): application.id, bootstrap.servers,
// processing.guarantee, commit.interval.ms, num.stream.threads, default key/value serdes, the
// replication factor of internal topics, and overrides for the embedded consumer and producer.
import type { ConsumerOptions, Logger, ProducerOptions } from "@gregor/client";
import type { Serde } from "../serdes.js";
import { StreamsError } from "./task.js";

export type ProcessingGuarantee = "at_least_once" | "exactly_once_v2";

export interface StreamsConfig {
  /** Names the consumer group, the internal topics' prefix and the client ids. */
  applicationId: string;
  bootstrapServers: readonly string[];
  /** Default at_least_once; exactly_once_v2 needs transactions (see README). */
  processingGuarantee?: ProcessingGuarantee;
  /** How often offsets are committed (after output and changelog writes are acknowledged); default 30 s. */
  commitIntervalMs?: number;
  /** Only 1: one async loop per instance (run more instances for more cores). */
  numStreamThreads?: number;
  /** Only 0 in this version (standby replicas are not built yet). */
  numStandbyReplicas?: number;
  defaultKeySerde?: Serde<unknown>;
  defaultValueSerde?: Serde<unknown>;
  /** Of the internal (repartition, changelog) topics; -1: the broker's default. */
  replicationFactor?: number;
  /**
   * Kafka's state.dir: where a clean close leaves store snapshots and checkpoints, so the next
   * start on this machine replays only the changelog written since. Unset: always a full restore.
   */
  stateDir?: string;
  /**
   * Kafka's default.deserialization.exception.handler: "logAndFail" (default) stops processing at
   * a record that does not deserialize; "logAndContinue" logs it and skips it.
   */
  deserializationExceptionHandler?: "logAndFail" | "logAndContinue";
  /** How long one poll waits for records before the loop punctuates and commits; default 100 ms. */
  pollMs?: number;
  consumer?: Partial<ConsumerOptions>;
  producer?: Partial<ProducerOptions>;
  logger?: Logger;
}

export interface ResolvedStreamsConfig extends StreamsConfig {
  processingGuarantee: ProcessingGuarantee;
  commitIntervalMs: number;
  replicationFactor: number;
  pollMs: number;
}

const APPLICATION_ID = /^[a-zA-Z0-9._-]+$/;

export function resolveConfig(config: StreamsConfig): ResolvedStreamsConfig {
  const problems: string[] = [];
  if (!APPLICATION_ID.test(config.applicationId ?? ""))
    problems.push("applicationId: must be non-empty letters, digits, '.', '_' or '-' (it prefixes topic names)");
  if (!Array.isArray(config.bootstrapServers) || config.bootstrapServers.length === 0)
    problems.push('bootstrapServers: must list at least one "host:port"');
  const guarantee = config.processingGuarantee ?? "at_least_once";
  if (guarantee === "exactly_once_v2")
    problems.push(
      "processingGuarantee: exactly_once_v2 needs transactional producers (Gregor issue 16), which @gregor/client does not have yet; use at_least_once",
    );
  else if (guarantee !== "at_least_once")
    problems.push(`processingGuarantee: must be "at_least_once" or "exactly_once_v2", got ${String(guarantee)}`);
  const commitIntervalMs = config.commitIntervalMs ?? 30_000;
  if (!Number.isSafeInteger(commitIntervalMs) || commitIntervalMs < 0)
    problems.push(`commitIntervalMs: must be an integer >= 0, got ${commitIntervalMs}`);
  if ((config.numStreamThreads ?? 1) !== 1)
    problems.push("numStreamThreads: only 1 is supported (one async loop per instance; start more instances)");
  if ((config.numStandbyReplicas ?? 0) !== 0)
    problems.push("numStandbyReplicas: only 0 is supported (standby replicas are not built yet)");
  const handler = config.deserializationExceptionHandler ?? "logAndFail";
  if (handler !== "logAndFail" && handler !== "logAndContinue")
    problems.push(`deserializationExceptionHandler: must be "logAndFail" or "logAndContinue", got ${String(handler)}`);
  const pollMs = config.pollMs ?? 100;
  if (!Number.isSafeInteger(pollMs) || pollMs < 1) problems.push(`pollMs: must be an integer >= 1, got ${pollMs}`);
  if (problems.length > 0) throw new StreamsError(`invalid streams config: ${problems.join("; ")}`);
  return {
    ...config,
    processingGuarantee: guarantee,
    commitIntervalMs,
    replicationFactor: config.replicationFactor ?? -1,
    pollMs,
  };
}
