// DescribeGroups (key 15), v0-5. Each group is asked of the shard that owns it.
import {
  ApiKey,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribeGroupsResponseDescribedGroup,
} from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

const failed = (groupId: string, errorCode: number): DescribeGroupsResponseDescribedGroup => ({
  errorCode,
  groupId,
  groupState: "",
  protocolType: "",
  protocolData: "",
  members: [],
  authorizedOperations: -2147483648,
});

export const describeGroupsHandler: Handler<DescribeGroupsRequest, DescribeGroupsResponse, BrokerServices> = {
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const groups = await Promise.all(
      req.groups.map(async (groupId) => {
        const r = await coordinator(ctx).call(groupId, "DescribeGroups", callerOf(ctx), { groups: [groupId] });
        return isRoutingError(r) ? failed(groupId, r.errorCode) : (r as DescribeGroupsResponseDescribedGroup[])[0]!;
      }),
    );
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, groups: req.groups.map((g) => failed(g, errorCode)) };
  },
};
