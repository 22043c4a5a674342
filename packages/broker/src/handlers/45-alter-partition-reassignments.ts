// AlterPartitionReassignments (key 45, KIP-455), v0: start, change or cancel (replicas null) the
// reassignment of partitions. Forwarded to the active controller (KIP-590); the answer waits (up to
// the request's timeoutMs) until this broker's topic table shows each accepted target, so a
// ListPartitionReassignments or Metadata request right after sees it.
import {
  ApiKey,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  ErrorCode,
} from "@gregor/protocol";
import type { MetadataImage } from "../controller/index.js";
import { isReassigning } from "../controller/reassignment.js";
import type { BrokerServices } from "../services.js";
import { forwardToController } from "./43-elect-leaders.js";
import type { Handler } from "./types.js";

function errorResponse(errorCode: number, errorMessage: string | null): AlterPartitionReassignmentsResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, responses: [] };
}

/** The image shows `replicas` as the partition's target (or, for null, no reassignment in progress). */
function shows(image: MetadataImage, topic: string, partition: number, replicas: readonly number[] | null): boolean {
  const p = image.topics.byName.get(topic)?.partitions[partition];
  if (p === undefined) return false;
  if (replicas === null) return !isReassigning(p);
  const target = p.replicas.filter((id) => !p.removingReplicas.includes(id));
  return target.length === replicas.length && target.every((id, i) => id === replicas[i]);
}

export const alterPartitionReassignmentsHandler: Handler<
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  BrokerServices
> = {
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const s = ctx.services;
    const res = await forwardToController<AlterPartitionReassignmentsResponse>(
      s,
      ApiKey.AlterPartitionReassignments,
      req,
      (r) => r.errorCode === ErrorCode.NOT_CONTROLLER,
    );
    if (!("responses" in res)) return errorResponse(res.errorCode, res.errorMessage);
    const accepted = req.topics.flatMap((t) =>
      t.partitions
        .filter(
          (p) =>
            res.responses.find((r) => r.name === t.name)?.partitions.find((r) => r.partitionIndex === p.partitionIndex)
              ?.errorCode === ErrorCode.NONE,
        )
        .map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })),
    );
    // A partition named twice ends at its last target.
    const last = new Map(accepted.map((a) => [`${a.topic}\u0000${a.partition}`, a]));
    const check = () => [...last.values()].every((a) => shows(s.topics.image, a.topic, a.partition, a.replicas));
    if (last.size > 0) await s.topics.waitFor(check, Math.max(0, req.timeoutMs));
    return { throttleTimeMs: 0, errorCode: res.errorCode, errorMessage: res.errorMessage, responses: res.responses };
  },
  errorResponse(_req, errorCode) {
    return errorResponse(errorCode, null);
  },
};
