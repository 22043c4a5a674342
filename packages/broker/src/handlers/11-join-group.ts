// JoinGroup (key 11), v0-9. The response is deferred until the rebalance completes (the core parks
// the request; see group/rebalance.ts).
import { ApiKey, type JoinGroupRequest, type JoinGroupResponse } from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import { joinError } from "../group/rebalance.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

function shape(r: JoinGroupResponse, version: number): JoinGroupResponse {
  // Before v7 the protocol name is a non-nullable string.
  return version >= 7 ? r : { ...r, protocolName: r.protocolName ?? "" };
}

function errorOf(req: JoinGroupRequest, errorCode: number, version: number): JoinGroupResponse {
  return shape(joinError(req.memberId, errorCode), version);
}

export const joinGroupHandler: Handler<JoinGroupRequest, JoinGroupResponse, BrokerServices> = {
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(req, ctx) {
    const r = await coordinator(ctx).call(req.groupId, "JoinGroup", callerOf(ctx), req);
    if (isRoutingError(r)) return errorOf(req, r.errorCode, ctx.apiVersion);
    return shape(r as JoinGroupResponse, ctx.apiVersion);
  },
  errorResponse(req, errorCode, ctx) {
    return errorOf(req, errorCode, ctx.apiVersion);
  },
};
