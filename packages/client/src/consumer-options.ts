import { z } from "zod";
import type { TopicPartitions } from "./assignors.js";
import { clientSchema, type ClientOptions } from "./options.js";

export const consumerSchema = clientSchema
  .extend({
    /** Needed for subscribe() and commits; assign() works without. */
    groupId: z.string().min(1).optional(),
    /** Static membership (KIP-345). */
    groupInstanceId: z.string().min(1).optional(),
    sessionTimeoutMs: z.number().int().min(1).default(45_000),
    rebalanceTimeoutMs: z.number().int().min(1).default(60_000),
    heartbeatIntervalMs: z.number().int().min(1).default(3_000),
    assignors: z
      .array(z.enum(["range", "cooperative-sticky"]))
      .min(1)
      .default(["range", "cooperative-sticky"]),
    autoCommit: z.boolean().default(true),
    autoCommitIntervalMs: z.number().int().min(1).default(5_000),
    /** Where to start without a committed offset (or after OFFSET_OUT_OF_RANGE). */
    autoOffsetReset: z.enum(["earliest", "latest", "none"]).default("latest"),
    isolationLevel: z.enum(["read_uncommitted", "read_committed"]).default("read_uncommitted"),
    maxWaitMs: z.number().int().min(0).default(500),
    minBytes: z.number().int().min(1).default(1),
    maxBytes: z.number().int().min(1).default(52_428_800),
    maxPartitionBytes: z.number().int().min(1).default(1_048_576),
    /** Fetched but not yet consumed bytes; fetching pauses above this (backpressure). */
    maxBufferedBytes: z
      .number()
      .int()
      .min(1)
      .default(64 * 1024 * 1024),
    checkCrcs: z.boolean().default(true),
    /** Java's ConsumerRebalanceListener: told before partitions go and after new ones come. */
    rebalanceListener: z
      .custom<RebalanceListener>((l) => typeof l === "object" && l !== null, "must be an object")
      .optional(),
  })
  .strict();

export interface RebalanceListener {
  /** Before the partitions are taken away: their records are no longer handed out after this. */
  onPartitionsRevoked?(partitions: TopicPartitions[]): Promise<void> | void;
  /** After newly assigned partitions were added (starting from their committed offsets). */
  onPartitionsAssigned?(partitions: TopicPartitions[]): Promise<void> | void;
}

export type ConsumerOptions = z.input<typeof consumerSchema>;
export type ResolvedConsumerOptions = z.output<typeof consumerSchema>;

const CLIENT_KEYS = [
  "bootstrapBrokers",
  "clientId",
  "connectTimeoutMs",
  "requestTimeoutMs",
  "maxInFlightRequests",
  "metadataMaxAgeMs",
  "retry",
  "tls",
  "sasl",
  "logger",
] as const;

/** The client options among a consumer's options (what its Cluster is built from). */
export function clientOptionsOf(options: ConsumerOptions): ClientOptions {
  const client: Record<string, unknown> = {};
  for (const name of CLIENT_KEYS) if (options[name] !== undefined) client[name] = options[name];
  return client as unknown as ClientOptions;
}
