// DeleteGroups (key 42), v0-2: only Empty groups; their offsets and metadata are tombstoned.
import {
  ApiKey,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  type DeleteGroupsResponseDeletableGroupResult,
} from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const deleteGroupsHandler: Handler<DeleteGroupsRequest, DeleteGroupsResponse, BrokerServices> = {
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const results = await Promise.all(
      req.groupsNames.map(async (groupId) => {
        const r = await coordinator(ctx).call(groupId, "DeleteGroups", callerOf(ctx), { groupsNames: [groupId] });
        return isRoutingError(r)
          ? { groupId, errorCode: r.errorCode }
          : (r as DeleteGroupsResponseDeletableGroupResult[])[0]!;
      }),
    );
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
};
