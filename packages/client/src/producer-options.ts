import { z } from "zod";
import { clientSchema, type ClientOptions } from "./options.js";
import type { Partitioner } from "./partitioner.js";

export const producerSchema = clientSchema
  .extend({
    /** 0: no response; 1: leader wrote it; -1/"all": all in-sync replicas have it. */
    acks: z
      .union([z.literal(0), z.literal(1), z.literal(-1), z.literal("all")])
      .default(-1)
      .transform((a) => (a === "all" ? -1 : a)),
    lingerMs: z.number().int().min(0).max(60_000).default(0),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(64 * 1024 * 1024)
      .default(16_384),
    compression: z.enum(["none", "gzip", "snappy", "lz4", "zstd"]).default("none"),
    idempotent: z.boolean().default(false),
    maxInFlightRequestsPerConnection: z.number().int().min(1).max(64).default(5),
    deliveryTimeoutMs: z.number().int().min(1).default(120_000),
    /** Produce request timeout the broker waits for acks (Kafka's request.timeout.ms for Produce). */
    ackTimeoutMs: z.number().int().min(1).default(30_000),
    /** Bytes buffered for sending; send() waits while this is exceeded (Kafka's buffer.memory). */
    bufferMemory: z
      .number()
      .int()
      .min(1024)
      .default(32 * 1024 * 1024),
    maxRequestSize: z.number().int().min(1024).default(1_048_576),
    partitioner: z
      .custom<Partitioner>(
        (f) => typeof f === "function",
        "must be a function ({topic, key, partitionCount}) => partition",
      )
      .optional(),
    /** Injected randomness for the sticky partitioner (tests). */
    random: z.custom<() => number>((f) => typeof f === "function", "must be a function").optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.idempotent && o.acks !== -1)
      ctx.addIssue({ code: "custom", path: ["acks"], message: 'must be -1 ("all") when idempotent is true' });
    if (o.idempotent && o.maxInFlightRequestsPerConnection > 5)
      ctx.addIssue({
        code: "custom",
        path: ["maxInFlightRequestsPerConnection"],
        message: "must be at most 5 when idempotent is true",
      });
  });

export type ProducerOptions = z.input<typeof producerSchema>;
export type ResolvedProducerOptions = z.output<typeof producerSchema>;

/** The client options among a producer's options (what its Cluster is built from). */
export function clientOptionsOf(options: ProducerOptions): ClientOptions {
  const {
    acks: _acks,
    lingerMs: _lingerMs,
    batchSize: _batchSize,
    compression: _compression,
    idempotent: _idempotent,
    maxInFlightRequestsPerConnection: _maxInFlight,
    deliveryTimeoutMs: _deliveryTimeoutMs,
    ackTimeoutMs: _ackTimeoutMs,
    bufferMemory: _bufferMemory,
    maxRequestSize: _maxRequestSize,
    partitioner: _partitioner,
    random: _random,
    ...clientOptions
  } = options;
  return clientOptions;
}
