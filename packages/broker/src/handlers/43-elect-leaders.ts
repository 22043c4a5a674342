// ElectLeaders (key 43, KIP-183 preferred, KIP-460 election type + per-partition errors), v0-2.
// Forwarded to the active controller (KIP-590), which elects and commits the PartitionChanges;
// the answer waits (up to the request's timeoutMs) until this broker's topic table shows every
// partition that changed, so a Metadata request right after sees the new leaders.
import { ApiKey, type ElectLeadersRequest, type ElectLeadersResponse, ErrorCode } from "@gregor/protocol";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

/** Partition epochs of `topic`'s partitions as this broker's table knows them (-1 = unknown). */
export function partitionEpoch(s: BrokerServices, topic: string, partition: number): number {
  return s.topics.get(topic)?.partitions[partition]?.partitionEpoch ?? -1;
}

/**
 * Sends `body` to the active controller. NOT_CONTROLLER when no controller answered in time (the
 * client retries); `isNotController` tells a "not me" answer so the channel tries the next one.
 */
export async function forwardToController<T>(
  s: BrokerServices,
  apiKey: number,
  body: unknown,
  isNotController: (res: T) => boolean,
): Promise<T | { errorCode: number; errorMessage: string }> {
  try {
    return await s.cluster.sendToController<T>(apiKey, body, { isNotController });
  } catch (err) {
    s.logger.debug({ err, apiKey }, "controller request failed");
    return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: `No active controller answered: ${String(err)}` };
  }
}

/** Waits until every (topic, partition, epoch before) has a newer partition epoch in this broker's table. */
export function waitForPartitionChanges(
  s: BrokerServices,
  changed: readonly { topic: string; partition: number; epochBefore: number }[],
  timeoutMs: number,
): Promise<boolean> {
  if (changed.length === 0) return Promise.resolve(true);
  const check = () => changed.every((c) => partitionEpoch(s, c.topic, c.partition) > c.epochBefore);
  return s.topics.waitFor(check, Math.max(0, timeoutMs));
}

function errorResponse(req: ElectLeadersRequest, errorCode: number, errorMessage: string | null): ElectLeadersResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })),
    })),
  };
}

export const electLeadersHandler: Handler<ElectLeadersRequest, ElectLeadersResponse, BrokerServices> = {
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const s = ctx.services;
    // Before v1 every election is PREFERRED (the field did not exist).
    const body: ElectLeadersRequest = { ...req, electionType: req.electionType ?? 0 };
    // Epochs before the election, to wait for exactly the partitions it changed.
    const asked =
      req.topicPartitions ??
      [...s.cluster.image().topics.byName.values()].map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => p.partitionId),
      }));
    const before = new Map<string, number>();
    for (const t of asked)
      for (const p of t.partitions) before.set(`${t.topic}\u0000${p}`, partitionEpoch(s, t.topic, p));
    const res = await forwardToController<ElectLeadersResponse>(
      s,
      ApiKey.ElectLeaders,
      body,
      (r) => r.errorCode === ErrorCode.NOT_CONTROLLER,
    );
    if (!("replicaElectionResults" in res)) return errorResponse(req, res.errorCode, res.errorMessage);
    if ((res.errorCode ?? 0) !== ErrorCode.NONE && ctx.apiVersion === 0) {
      // v0 has no top-level error: every partition asked for carries it.
      return errorResponse(req, res.errorCode ?? 0, null);
    }
    const changed = res.replicaElectionResults.flatMap((t) =>
      t.partitionResult
        .filter((p) => p.errorCode === ErrorCode.NONE)
        .map((p) => ({
          topic: t.topic,
          partition: p.partitionId,
          epochBefore: before.get(`${t.topic}\u0000${p.partitionId}`) ?? -1,
        })),
    );
    await waitForPartitionChanges(s, changed, req.timeoutMs);
    return { throttleTimeMs: 0, errorCode: res.errorCode ?? 0, replicaElectionResults: res.replicaElectionResults };
  },
  errorResponse(req, errorCode) {
    return errorResponse(req, errorCode, null);
  },
};
