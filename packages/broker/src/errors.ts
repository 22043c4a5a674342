// The Kafka error codes the broker answers with: @gregor/protocol's one table.

export { ErrorCode } from "@gregor/protocol";
import type { ErrorCode } from "@gregor/protocol";

export type ErrorCodeName = keyof typeof ErrorCode;
