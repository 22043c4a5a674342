// OffsetDelete (key 47), v0: removes committed offsets of topics the group no longer consumes
// (GROUP_SUBSCRIBED_TO_TOPIC otherwise).
import { ApiKey, type OffsetDeleteRequest, type OffsetDeleteResponse } from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const offsetDeleteHandler: Handler<OffsetDeleteRequest, OffsetDeleteResponse, BrokerServices> = {
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const r = await coordinator(ctx).call(req.groupId, "OffsetDelete", callerOf(ctx), req);
    return isRoutingError(r) ? { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] } : (r as OffsetDeleteResponse);
  },
  errorResponse(_req, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
};
