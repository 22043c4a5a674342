// Kafka error codes the group coordinator answers with: @gregor/protocol's one table.
import { ErrorCode } from "@gregor/protocol";

export { ErrorCode };
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one programmer-error assertion (always on), re-exported for the coordinator's modules. */
export { assert } from "@gregor/protocol/util";
