// Kafka error codes the group coordinator answers with: @gregor/protocol's one table.
import { ErrorCode } from "@gregor/protocol";

export { ErrorCode };
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Programmer-error assertion, always on (TigerBeetle style). */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}
