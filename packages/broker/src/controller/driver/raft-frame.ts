// Raft's messages travel on the controller listener as Kafka-framed requests of a Gregor-internal
// API key (never advertised in ApiVersions): int32 size, request header v1 (apiKey, apiVersion,
// correlationId, null clientId), then the body `encodeMessages(...)` of @gregor/raft (msgpackr).
// They get no response: raft is a one-way message protocol (its acknowledgements are messages).
// KRaft speaks Vote/BeginQuorumEpoch/Fetch instead (KIP-595); @gregor/raft's etcd-style messages
// carry the same information in one key.
import { encodeMessages, type Message } from "@gregor/raft";

/** Gregor-internal API key for a batch of raft messages (far from Kafka's keys, which are < 100). */
export const RAFT_MESSAGES_API_KEY = 32700;
export const RAFT_MESSAGES_API_VERSION = 0;

/** Header bytes after the size prefix: apiKey, apiVersion, correlationId, null clientId. */
const HEADER_BYTES = 2 + 2 + 4 + 2;

/** One frame carrying `msgs` (size prefix included). */
export function encodeRaftFrame(msgs: Message[], correlationId: number): Buffer[] {
  const body = encodeMessages(msgs);
  const head = Buffer.allocUnsafe(4 + HEADER_BYTES);
  head.writeInt32BE(HEADER_BYTES + body.length, 0);
  head.writeInt16BE(RAFT_MESSAGES_API_KEY, 4);
  head.writeInt16BE(RAFT_MESSAGES_API_VERSION, 6);
  head.writeInt32BE(correlationId | 0, 8);
  head.writeInt16BE(-1, 12);
  return [head, body];
}
