// Raft's messages travel on the controller listener as Kafka-framed requests of a Gregor-internal
// API key (never advertised in ApiVersions): int32 size, request header v1 (apiKey, apiVersion,
// correlationId, clientId = the sender's quorum identity), then the body `encodeMessages(...)` of
// @gregor/raft (msgpackr). The identity (cluster id + voter set) lets a receiver drop the messages
// of a node formatted for another cluster or configured with other voters — Kafka's
// INCONSISTENT_CLUSTER_ID / INCONSISTENT_VOTER_SET — instead of letting it vote.
// They get no response: raft is a one-way message protocol (its acknowledgements are messages).
// KRaft speaks Vote/BeginQuorumEpoch/Fetch instead (KIP-595); @gregor/raft's etcd-style messages
// carry the same information in one key.
import { encodeMessages, type Message } from "@gregor/raft";
import type { QuorumVoter } from "../../cluster/cluster-config.js";

/** Gregor-internal API key for a batch of raft messages (far from Kafka's keys, which are < 100). */
export const RAFT_MESSAGES_API_KEY = 32700;
export const RAFT_MESSAGES_API_VERSION = 0;

/** What every member of one quorum agrees on: the cluster id and the voter set (sorted by id). */
export function quorumIdentity(clusterId: string, voters: readonly QuorumVoter[]): string {
  const sorted = [...voters].sort((a, b) => a.id - b.id);
  return `${clusterId};${sorted.map((v) => `${v.id}@${v.host}:${v.port}`).join(",")}`;
}

/** One frame carrying `msgs` (size prefix included), sent by a member of quorum `identity`. */
export function encodeRaftFrame(msgs: Message[], correlationId: number, identity: Buffer): Buffer[] {
  const body = encodeMessages(msgs);
  // apiKey, apiVersion, correlationId, then the clientId string (int16 length + bytes).
  const headerBytes = 2 + 2 + 4 + 2 + identity.length;
  const head = Buffer.allocUnsafe(4 + headerBytes);
  head.writeInt32BE(headerBytes + body.length, 0);
  head.writeInt16BE(RAFT_MESSAGES_API_KEY, 4);
  head.writeInt16BE(RAFT_MESSAGES_API_VERSION, 6);
  head.writeInt32BE(correlationId | 0, 8);
  head.writeInt16BE(identity.length, 12);
  identity.copy(head, 14);
  return [head, body];
}
