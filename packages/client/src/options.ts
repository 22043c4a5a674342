// Zod schemas for every options object. Validation errors name the option path and what is allowed.
import { z } from "zod";
import { InvalidOptionsError } from "./errors.js";
import type { Logger } from "./logger.js";

const brokerAddress = z.string().regex(/^\[?[A-Za-z0-9_.:-]+\]?:\d{1,5}$/, "must be host:port");

export const saslSchema = z.object({
  mechanism: z.enum(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
  username: z.string(),
  password: z.string(),
});

export const retrySchema = z
  .object({
    retries: z.number().int().min(0).max(1_000_000).default(5),
    initialRetryTimeMs: z.number().int().min(1).max(60_000).default(100),
    maxRetryTimeMs: z.number().int().min(1).max(600_000).default(1_000),
  })
  .strict();

export const clientSchema = z
  .object({
    bootstrapBrokers: z.array(brokerAddress).min(1, "needs at least one host:port"),
    clientId: z.string().min(1).default("gregor"),
    connectTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
    requestTimeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
    maxInFlightRequests: z.number().int().min(1).max(1024).default(64),
    metadataMaxAgeMs: z.number().int().min(0).default(300_000),
    retry: retrySchema.default({ retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 }),
    tls: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
    sasl: saslSchema.optional(),
    logger: z
      .custom<Logger>(
        (l) => typeof l === "object" && l !== null && typeof (l as Logger).info === "function",
        "must be a pino-compatible logger",
      )
      .optional(),
  })
  .strict();

export type ClientOptions = z.input<typeof clientSchema>;
export type ResolvedClientOptions = z.output<typeof clientSchema>;

/** Parses options; throws InvalidOptionsError listing every problem as `path: message`. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join(".") : "(options)"}: ${i.message}`);
  throw new InvalidOptionsError(`invalid ${what} options:\n${lines.join("\n")}`);
}
