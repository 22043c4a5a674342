// Heartbeat (key 12), v0-4. REBALANCE_IN_PROGRESS tells a member to rejoin.
import { ApiKey, type HeartbeatRequest, type HeartbeatResponse } from "@gregor/protocol";
import { callerOf, coordinator } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const heartbeatHandler: Handler<HeartbeatRequest, HeartbeatResponse, BrokerServices> = {
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const r = await coordinator(ctx).call(req.groupId, "Heartbeat", callerOf(ctx), req);
    return { throttleTimeMs: 0, errorCode: r.errorCode };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
