// SyncGroup (key 14), v0-5. Followers wait (deferred) for the leader's assignment.
import { ApiKey, type SyncGroupRequest, type SyncGroupResponse } from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

const errorOf = (errorCode: number): SyncGroupResponse => ({
  throttleTimeMs: 0,
  errorCode,
  protocolType: null,
  protocolName: null,
  assignment: Buffer.alloc(0),
});

export const syncGroupHandler: Handler<SyncGroupRequest, SyncGroupResponse, BrokerServices> = {
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const r = await coordinator(ctx).call(req.groupId, "SyncGroup", callerOf(ctx), req);
    return isRoutingError(r) ? errorOf(r.errorCode) : (r as SyncGroupResponse);
  },
  errorResponse(_req, errorCode) {
    return errorOf(errorCode);
  },
};
