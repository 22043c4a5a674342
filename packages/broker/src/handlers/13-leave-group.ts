// LeaveGroup (key 13), v0-5. v3+ leaves a batch of members (KIP-345); v0-2 report the single
// member's error at the top level, as Kafka's LeaveGroupResponse does for old versions.
import { ApiKey, type LeaveGroupRequest, type LeaveGroupResponse } from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const leaveGroupHandler: Handler<LeaveGroupRequest, LeaveGroupResponse, BrokerServices> = {
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const r = await coordinator(ctx).call(req.groupId, "LeaveGroup", callerOf(ctx), req);
    if (isRoutingError(r)) return { throttleTimeMs: 0, errorCode: r.errorCode, members: [] };
    const res = r as LeaveGroupResponse;
    if (ctx.apiVersion >= 3) return res;
    const first = res.members?.[0]?.errorCode ?? 0;
    return { throttleTimeMs: 0, errorCode: res.errorCode !== 0 ? res.errorCode : first };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
};
