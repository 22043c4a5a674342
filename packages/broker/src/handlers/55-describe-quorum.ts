// DescribeQuorum (key 55, KIP-595; v1 timestamps KIP-836; v2 directory ids and nodes, KIP-853)
// for `kafka-metadata-quorum.sh describe --status | --replication`. The raft leader answers from
// its replication state; any other controller answers NOT_LEADER_OR_FOLLOWER with the leader it
// knows (a hint the broker's controller channel follows). On the broker listener a node answers
// from its own quorum when it leads it and forwards to the active controller otherwise.
import {
  ApiKey,
  ErrorCode,
  type DescribeQuorumRequest,
  type DescribeQuorumResponse,
  type DescribeQuorumResponseReplicaState,
} from "@gregor/protocol";
import type { ClusterSettings } from "../cluster/cluster-config.js";
import type { ClusterNode } from "../cluster/cluster-node-types.js";
import { METADATA_TOPIC } from "../cluster/controller-channel.js";
import type { ControllerServices } from "../controller/driver/controller-services.js";
import type { QuorumStatus, ReplicaStatus } from "../controller/driver/quorum-status.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

function replica(r: ReplicaStatus, version: number): DescribeQuorumResponseReplicaState {
  const out: DescribeQuorumResponseReplicaState = { replicaId: r.replicaId, logEndOffset: BigInt(r.logEndOffset) };
  if (version >= 1) {
    out.lastFetchTimestamp = BigInt(r.lastFetchTimestamp);
    out.lastCaughtUpTimestamp = BigInt(r.lastCaughtUpTimestamp);
  }
  return out;
}

/** Builds the answer from this node's quorum status (`status` null: no quorum on this node). */
export function describeQuorumResponse(
  req: DescribeQuorumRequest,
  version: number,
  status: QuorumStatus | null,
  settings: ClusterSettings | null,
): DescribeQuorumResponse {
  const topics = req.topics.map((t) => ({
    topicName: t.topicName,
    partitions: t.partitions.map((p) => {
      const known = t.topicName === METADATA_TOPIC && p.partitionIndex === 0 && status !== null;
      const errorCode = !known
        ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        : status.isLeader
          ? ErrorCode.NONE
          : ErrorCode.NOT_LEADER_OR_FOLLOWER;
      return {
        partitionIndex: p.partitionIndex,
        errorCode,
        errorMessage: null,
        leaderId: status?.leaderId ?? -1,
        leaderEpoch: status?.leaderEpoch ?? -1,
        highWatermark: BigInt(errorCode === ErrorCode.NONE ? status!.highWatermark : -1),
        currentVoters: errorCode === ErrorCode.NONE ? status!.voters.map((r) => replica(r, version)) : [],
        observers: errorCode === ErrorCode.NONE ? status!.observers.map((r) => replica(r, version)) : [],
      };
    }),
  }));
  const res: DescribeQuorumResponse = { errorCode: ErrorCode.NONE, topics };
  if (version >= 2) {
    res.errorMessage = null;
    res.nodes = (settings?.voters ?? []).map((v) => ({
      nodeId: v.id,
      listeners: [{ name: "CONTROLLER", host: v.host, port: v.port }],
    }));
  }
  return res;
}

export const describeQuorumHandler: Handler<DescribeQuorumRequest, DescribeQuorumResponse, ControllerServices> = {
  apiKey: ApiKey.DescribeQuorum,
  minVersion: 0,
  maxVersion: 2,
  handle(req, ctx) {
    const { runtime } = ctx.services;
    return describeQuorumResponse(req, ctx.apiVersion, runtime.status(), runtime.settings);
  },
  errorResponse(_req, errorCode) {
    return { errorCode, topics: [] };
  },
};

/** The same API on the broker listener (kafka-metadata-quorum.sh --bootstrap-server). */
export const describeQuorumBrokerHandler: Handler<DescribeQuorumRequest, DescribeQuorumResponse, BrokerServices> = {
  apiKey: ApiKey.DescribeQuorum,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    // The listener accepts a few ms before start-up sets the cluster node: answer "no quorum" then.
    const cluster = ctx.services.cluster as ClusterNode | undefined;
    if (cluster === undefined) return describeQuorumResponse(req, ctx.apiVersion, null, null);
    return cluster.describeQuorum(req);
  },
  errorResponse(_req, errorCode) {
    return { errorCode, topics: [] };
  },
};
