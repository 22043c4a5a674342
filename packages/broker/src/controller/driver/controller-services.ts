// What a handler on the CONTROLLER listener sees as `ctx.services`.
import { ErrorCode } from "@gregor/protocol";
import type { Logger } from "pino";
import type { Handler } from "../../handlers/types.js";
import type { ControllerResult, QuorumController } from "../index.js";
import { NotControllerError, type QuorumRuntime } from "./quorum-runtime.js";

export interface ControllerServices {
  readonly nodeId: number;
  /** The controller listener's handler table (ApiVersions is built from it). */
  readonly handlers: readonly Handler[];
  readonly runtime: QuorumRuntime;
  readonly logger: Logger;
}

/**
 * Runs a controller operation on the active controller's write queue; when this node is not the
 * active controller (or the write did not commit in time) answers `notController(41, why)` — the
 * retriable NOT_CONTROLLER, so the broker's channel retries at the active one.
 */
export async function controllerWrite<R>(
  services: ControllerServices,
  op: (controller: QuorumController, nowMs: number) => ControllerResult<R>,
  notController: (errorCode: number, message: string) => R,
  committed?: (response: R, index: number) => R,
): Promise<R> {
  try {
    return await services.runtime.write(op, committed);
  } catch (err) {
    if (err instanceof NotControllerError) return notController(ErrorCode.NOT_CONTROLLER, err.message);
    throw err;
  }
}

/** Kafka's all-zero uuid (a topic id that is not set). */
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
