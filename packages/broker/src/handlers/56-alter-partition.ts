// AlterPartition (key 56, KIP-497/KIP-903) on the CONTROLLER listener: a partition leader proposes
// a new ISR; the active controller validates it (leader epoch, partition epoch, broker epochs) and
// commits a PartitionChange. v0-1 name topics, v2+ use topic ids; v3+ carry each ISR member's
// broker epoch (older versions mean "unknown", -1).
import {
  ApiKey,
  ErrorCode,
  type AlterPartitionRequest,
  type AlterPartitionRequestTopicData,
  type AlterPartitionResponse,
} from "@gregor/protocol";
import { type ControllerServices, controllerWrite, ZERO_UUID } from "../controller/driver/controller-services.js";
import type { AlterPartitionRequest as ControllerAlterPartition, MetadataImage } from "../controller/index.js";
import type { Handler } from "./types.js";

function topicIdOf(t: AlterPartitionRequestTopicData, image: MetadataImage): string {
  if (t.topicId !== undefined && t.topicId !== ZERO_UUID) return t.topicId;
  return image.topics.byName.get(t.topicName ?? "")?.topicId ?? ZERO_UUID;
}

function toController(req: AlterPartitionRequest, image: MetadataImage): ControllerAlterPartition {
  return {
    brokerId: req.brokerId,
    brokerEpoch: Number(req.brokerEpoch),
    topics: req.topics.map((t) => ({
      topicId: topicIdOf(t, image),
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        leaderEpoch: p.leaderEpoch,
        newIsrWithEpochs:
          p.newIsrWithEpochs?.map((b) => ({ brokerId: b.brokerId, brokerEpoch: Number(b.brokerEpoch) })) ??
          (p.newIsr ?? []).map((brokerId) => ({ brokerId, brokerEpoch: -1 })),
        leaderRecoveryState: p.leaderRecoveryState ?? 0,
        partitionEpoch: p.partitionEpoch,
      })),
    })),
  };
}

export const alterPartitionHandler: Handler<AlterPartitionRequest, AlterPartitionResponse, ControllerServices> = {
  apiKey: ApiKey.AlterPartition,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) => controller.alterPartition(toController(req, controller.image), nowMs),
      (errorCode) => ({ errorCode, topics: [] }),
    );
    const image = ctx.services.runtime.image();
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      topics: result.topics.map((t, i) => ({
        topicId: t.topicId,
        topicName: req.topics[i]?.topicName ?? image.topics.byId.get(t.topicId)?.name ?? "",
        // Before v2 a leader moved by a completed reassignment is told FENCED_LEADER_EPOCH (KIP-497).
        partitions:
          ctx.apiVersion > 1
            ? t.partitions
            : t.partitions.map((p) =>
                p.errorCode === ErrorCode.NEW_LEADER_ELECTED ? { ...p, errorCode: ErrorCode.FENCED_LEADER_EPOCH } : p,
              ),
      })),
    };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, topics: [] };
  },
};
