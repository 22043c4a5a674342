// Broker-only nodes read the committed metadata log from the active controller the way KRaft
// observers do (KIP-595/KIP-630): Fetch (key 1) of `__cluster_metadata-0` from an offset returns
// the committed entries after it, one v2 record batch per entry (baseOffset = raft index - 1);
// when the offset is older than what the controller keeps in memory, the answer carries a
// snapshotId instead and the broker loads the image with FetchSnapshot (key 59).
// The controller keeps the most recent committed entries in a bounded ring (every controller
// applies every entry); older history is served as the current image (a snapshot).
import {
  encodeRecordBatch as encodeKafkaBatch,
  ErrorCode,
  type FetchRequest,
  type FetchResponse,
  type FetchSnapshotRequest,
  type FetchSnapshotResponse,
  TimestampType,
} from "@gregor/protocol";
import { METADATA_TOPIC } from "../../cluster/controller-channel.js";
import type { Handler } from "../../handlers/types.js";
import { encodeRecordBatch, imageToRecords } from "../index.js";
import type { ControllerServices } from "./controller-services.js";

export { RecentEntries } from "./recent-entries.js";

const MAX_WAIT_MS = 500;

function partitionError(errorCode: number, leaderId: number, leaderEpoch: number): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: [
      {
        topic: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: 0,
            errorCode,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            currentLeader: { leaderId, leaderEpoch },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: null,
          },
        ],
      },
    ],
  };
}

/** Fetch (key 1) of the metadata log on the CONTROLLER listener; active controller only. */
export const metadataFetchHandler: Handler<FetchRequest, FetchResponse, ControllerServices> = {
  apiKey: 1,
  minVersion: 12,
  maxVersion: 12,
  async handle(req, ctx) {
    const { runtime } = ctx.services;
    const wanted = req.topics[0]?.partitions[0];
    const status = runtime.status();
    if (req.topics[0]?.topic !== METADATA_TOPIC || wanted === undefined || wanted.partition !== 0) {
      return partitionError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, status.leaderId, status.leaderEpoch);
    }
    if (!runtime.isActive) return partitionError(ErrorCode.NOT_LEADER_OR_FOLLOWER, status.leaderId, status.leaderEpoch);
    const from = Number(wanted.fetchOffset) + 1;
    if (runtime.image().offset < from)
      await runtime.waitForOffset(from, Math.min(req.maxWaitMs, MAX_WAIT_MS), ctx.signal);
    const image = runtime.image();
    const entries = runtime.stateMachine.recent.since(from, image.offset, Math.max(1, wanted.partitionMaxBytes));
    const base = partitionError(ErrorCode.NONE, status.leaderId, status.leaderEpoch);
    const partition = base.responses[0]!.partitions[0]!;
    partition.highWatermark = BigInt(Math.max(0, image.offset));
    partition.lastStableOffset = partition.highWatermark;
    partition.logStartOffset = 0n;
    if (entries === null) {
      partition.snapshotId = { endOffset: BigInt(image.offset), epoch: 0 };
      return base;
    }
    partition.records = entries.map((e) =>
      encodeKafkaBatch({
        baseOffset: BigInt(e.index - 1),
        timestampType: TimestampType.CreateTime,
        records: [{ key: null, value: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength), timestamp: 0 }],
      }),
    );
    return base;
  },
};

/**
 * FetchSnapshot (key 59) of the metadata log: the active controller's current image as records,
 * in one chunk (the image is modest; raft's own snapshots are one message too).
 */
export const metadataFetchSnapshotHandler: Handler<FetchSnapshotRequest, FetchSnapshotResponse, ControllerServices> = {
  apiKey: 59,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const { runtime } = ctx.services;
    const status = runtime.status();
    const wanted = req.topics[0]?.partitions[0];
    const image = runtime.image();
    const known = req.topics[0]?.name === METADATA_TOPIC && wanted?.partition === 0;
    const errorCode = !known
      ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      : runtime.isActive
        ? ErrorCode.NONE
        : ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const bytes =
      errorCode === ErrorCode.NONE ? Buffer.from(encodeRecordBatch(imageToRecords(image))) : Buffer.alloc(0);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      topics: [
        {
          name: METADATA_TOPIC,
          partitions: [
            {
              index: 0,
              errorCode,
              snapshotId: { endOffset: BigInt(image.offset), epoch: 0 },
              currentLeader: { leaderId: status.leaderId, leaderEpoch: status.leaderEpoch },
              size: BigInt(bytes.length),
              position: 0n,
              unalignedRecords: bytes,
            },
          ],
        },
      ],
    };
  },
};
