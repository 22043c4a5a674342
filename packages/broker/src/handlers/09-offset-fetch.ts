// OffsetFetch (key 9), v1-9. v8+ asks for several groups at once (KIP-709). require_stable (v7+)
// needs no waiting here: offsets of transactional commits are not pending in this coordinator.
import {
  ApiKey,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseOffsetFetchResponseGroup,
} from "@gregor/protocol";
import { callerOf, coordinator, isRoutingError } from "../group/driver/handler-support.js";
import type { OffsetFetchGroupRequest } from "../group/shard-state.js";
import type { BrokerServices } from "../services.js";
import type { Handler, RequestContext } from "./types.js";

async function fetchGroup(
  g: OffsetFetchGroupRequest,
  ctx: RequestContext<BrokerServices>,
): Promise<OffsetFetchResponseOffsetFetchResponseGroup> {
  const r = await coordinator(ctx).call(g.groupId, "OffsetFetch", callerOf(ctx), g);
  if (isRoutingError(r)) return { groupId: g.groupId, errorCode: r.errorCode, topics: [] };
  return r as OffsetFetchResponseOffsetFetchResponseGroup;
}

function singleGroup(g: OffsetFetchResponseOffsetFetchResponseGroup, version: number): OffsetFetchResponse {
  if (version >= 2) return { throttleTimeMs: 0, errorCode: g.errorCode, topics: g.topics };
  // v1 has no top-level error: a group-level error is reported on every partition.
  const topics = g.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ ...p, errorCode: g.errorCode !== 0 ? g.errorCode : p.errorCode })),
  }));
  return { throttleTimeMs: 0, topics };
}

export const offsetFetchHandler: Handler<OffsetFetchRequest, OffsetFetchResponse, BrokerServices> = {
  apiKey: ApiKey.OffsetFetch,
  minVersion: 1,
  maxVersion: 9,
  async handle(req, ctx) {
    if (ctx.apiVersion >= 8) {
      const groups = await Promise.all(
        (req.groups ?? []).map((g) =>
          fetchGroup({ groupId: g.groupId, topics: g.topics, requireStable: req.requireStable ?? false }, ctx),
        ),
      );
      return { throttleTimeMs: 0, groups };
    }
    const groupId = req.groupId ?? "";
    const topics = req.topics === undefined ? null : req.topics;
    const g = await fetchGroup({ groupId, topics, requireStable: req.requireStable ?? false }, ctx);
    if (ctx.apiVersion < 2 && g.errorCode !== 0 && topics !== null) {
      // Keep the requested partitions so the error reaches the client.
      g.topics = topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({
          partitionIndex: p,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: g.errorCode,
        })),
      }));
    }
    return singleGroup(g, ctx.apiVersion);
  },
  errorResponse(req, errorCode, ctx) {
    if (ctx.apiVersion >= 8)
      return {
        throttleTimeMs: 0,
        groups: (req.groups ?? []).map((g) => ({ groupId: g.groupId, errorCode, topics: [] })),
      };
    return { throttleTimeMs: 0, errorCode, topics: [] };
  },
};
