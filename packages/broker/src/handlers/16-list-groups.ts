// ListGroups (key 16), v0-5: every group of every loaded __consumer_offsets partition; v4+ filters
// by state, v5 by type (all groups here are "classic").
import { ApiKey, type ListGroupsRequest, type ListGroupsResponse } from "@gregor/protocol";
import { ErrorCode } from "../group/errors.js";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const listGroupsHandler: Handler<ListGroupsRequest, ListGroupsResponse, BrokerServices> = {
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const c = coordinator(ctx);
    if (c.loading()) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const filter: ListGroupsRequest = {
      statesFilter: ctx.apiVersion >= 4 ? (req.statesFilter ?? []) : [],
      typesFilter: ctx.apiVersion >= 5 ? (req.typesFilter ?? []) : [],
    };
    const parts = await Promise.all(
      c.activeRuntimes().map((rt) => rt.call("ListGroups", c.nextId(), callerOf(ctx), filter)),
    );
    const failed = parts.find((p) => isRoutingError(p));
    if (failed !== undefined)
      return { throttleTimeMs: 0, errorCode: (failed as { errorCode: number }).errorCode, groups: [] };
    const groups = parts.flatMap((p) => (p as ListGroupsResponse).groups);
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
};
