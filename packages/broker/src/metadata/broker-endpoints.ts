// Broker addresses as the MetadataImage has them: each registered broker's endpoint on a listener
// (the one a request came in on, Kafka's rule: clients are told addresses on their own listener),
// the live (unfenced) set for Metadata/DescribeCluster, and the leader hints of KIP-951 that let a
// client re-route after NOT_LEADER_OR_FOLLOWER without a metadata round trip.
import type { BrokerRegistration, MetadataImage } from "../controller/index.js";
import { ErrorCode } from "../errors.js";

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** The broker's endpoint on `listenerName` (else its first one), or null when it has none. */
export function endpointOf(broker: BrokerRegistration, listenerName: string): NodeEndpoint | null {
  const e = broker.endPoints.find((x) => x.name === listenerName) ?? broker.endPoints[0];
  return e === undefined ? null : { nodeId: broker.brokerId, host: e.host, port: e.port, rack: broker.rack };
}

/** Registered, unfenced brokers (Kafka's Metadata lists only those), by id. */
export function liveEndpoints(image: MetadataImage, listenerName: string): NodeEndpoint[] {
  const out: NodeEndpoint[] = [];
  for (const b of image.brokers.values()) {
    if (b.fenced) continue;
    const e = endpointOf(b, listenerName);
    if (e !== null) out.push(e);
  }
  return out.sort((a, b) => a.nodeId - b.nodeId);
}

/** Replicas whose broker is fenced or not registered (Metadata's offlineReplicas). */
export function offlineReplicas(image: MetadataImage, replicas: readonly number[]): number[] {
  return replicas.filter((id) => {
    const b = image.brokers.get(id);
    return b === undefined || b.fenced;
  });
}

export interface LeaderHint {
  currentLeader: { leaderId: number; leaderEpoch: number };
  /** The leader's endpoint, when it has one on this listener. */
  endpoint: NodeEndpoint | null;
}

/** KIP-951: the leader a NOT_LEADER_OR_FOLLOWER answer points at, or null for other errors. */
export function leaderHint(
  image: MetadataImage,
  errorCode: number,
  topic: string,
  partition: number,
  listenerName: string,
): LeaderHint | null {
  if (errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && errorCode !== ErrorCode.FENCED_LEADER_EPOCH) return null;
  const p = image.topics.byName.get(topic)?.partitions[partition];
  if (p === undefined) return null;
  const broker = p.leader >= 0 ? image.brokers.get(p.leader) : undefined;
  return {
    currentLeader: { leaderId: p.leader, leaderEpoch: p.leaderEpoch },
    endpoint: broker === undefined || broker.fenced ? null : endpointOf(broker, listenerName),
  };
}

/** Collects the distinct leader endpoints of a response's hints (KIP-951 NodeEndpoints). */
export class NodeEndpoints {
  private readonly byId = new Map<number, NodeEndpoint>();
  add(hint: LeaderHint | null): void {
    if (hint?.endpoint != null) this.byId.set(hint.endpoint.nodeId, hint.endpoint);
  }
  list(): NodeEndpoint[] {
    return [...this.byId.values()];
  }
}

/**
 * The controller id clients are told (Metadata, DescribeCluster). Clients send admin requests to
 * "the controller" and KRaft brokers forward them (KIP-590), so Kafka names a live broker here:
 * the active controller when it is a live broker too (combined mode), else this broker when live,
 * else any live broker; -1 when there is none.
 */
export function controllerIdForClients(image: MetadataImage, activeControllerId: number, selfId: number): number {
  const live = (id: number): boolean => image.brokers.get(id)?.fenced === false;
  if (live(activeControllerId)) return activeControllerId;
  if (live(selfId)) return selfId;
  for (const b of image.brokers.values()) if (!b.fenced) return b.brokerId;
  return -1;
}
