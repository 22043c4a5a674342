// @gregor/raft's Transport over the controller listener: one outbound connection per peer voter
// (to its CONTROLLER listener), every message queued for a peer in one event-loop turn goes out as
// one Kafka-framed request of the internal raft key; inbound messages arrive through the listener.
// The outbound side is raft's PeerOutbox (TcpTransport's): reconnect with capped exponential
// backoff, bounded queues, and messages to an unreachable peer are dropped (raft retries them).
import { isIP } from "node:net";
import { type Message, type NodeId, PeerOutbox, type Transport } from "@gregor/raft";
import type { QuorumVoter } from "../../cluster/cluster-config.js";
import { encodeRaftFrame } from "./raft-frame.js";

export interface ControllerRaftTransportOptions {
  nodeId: number;
  voters: readonly QuorumVoter[];
  /** This quorum's identity (`quorumIdentity`), sent with every frame; receivers drop other quorums'. */
  identity: string;
  maxQueuedMsgs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Wall clock for `lastHeardMs` (DescribeQuorum's lastFetchTimestamp). */
  clock?: () => number;
  /**
   * Source address of outbound connections: this node's own CONTROLLER address, so a node on its
   * own loopback address (127.0.0.x) talks to peers from it and a cut link between two addresses
   * cuts both directions.
   */
  localAddress?: string;
}

export class ControllerRaftTransport implements Transport {
  private readonly outbox: PeerOutbox;
  private handler: (msgs: Message[]) => void = () => {};
  private closed = false;
  private correlationId = 0;
  private readonly clock: () => number;
  /** Wall-clock time of the last message received from each peer. */
  readonly lastHeardMs = new Map<NodeId, number>();

  constructor(options: ControllerRaftTransportOptions) {
    this.clock = options.clock ?? Date.now;
    const identity = Buffer.from(options.identity, "utf8");
    this.outbox = new PeerOutbox({
      encodeFrame: (msgs) => {
        this.correlationId = (this.correlationId + 1) | 0;
        return encodeRaftFrame(msgs, this.correlationId, identity);
      },
      maxQueuedMsgs: options.maxQueuedMsgs,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
      localAddress:
        options.localAddress !== undefined && isIP(options.localAddress) !== 0 ? options.localAddress : undefined,
    });
    for (const v of options.voters) if (v.id !== options.nodeId) this.outbox.setPeer(v.id, v);
  }

  /** Messages dropped: to non-voters, over a peer's queue bound, or queued when its connection closed. */
  get dropped(): number {
    return this.outbox.dropped;
  }

  setHandler(handler: (msgs: Message[]) => void): void {
    this.handler = handler;
  }

  /** Called by the controller listener with the messages of one inbound raft frame. */
  deliver(msgs: Message[]): void {
    if (this.closed) return;
    const now = this.clock();
    for (const m of msgs) this.lastHeardMs.set(m.from, now);
    this.handler(msgs);
  }

  send(msgs: Message[]): void {
    this.outbox.send(msgs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.outbox.close();
  }
}
