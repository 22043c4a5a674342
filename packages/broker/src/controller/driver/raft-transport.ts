// @gregor/raft's Transport over the controller listener: one outbound connection per peer voter
// (to its CONTROLLER listener), every message queued for a peer in one event-loop turn goes out as
// one Kafka-framed request of the internal raft key; inbound messages arrive through the listener.
// Like raft's TcpTransport: reconnect with capped exponential backoff, bounded queues, and
// messages to an unreachable peer are dropped (raft retries them).
import { connect, isIP, type Socket } from "node:net";
import type { Message, NodeId, Transport } from "@gregor/raft";
import type { QuorumVoter } from "../../cluster/cluster-config.js";
import { encodeRaftFrame } from "./raft-frame.js";

export interface ControllerRaftTransportOptions {
  nodeId: number;
  voters: readonly QuorumVoter[];
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

class Peer {
  socket: Socket | null = null;
  connecting = false;
  queue: Message[] = [];
  backoffMs = 0;
  retryTimer: NodeJS.Timeout | null = null;
  constructor(readonly voter: QuorumVoter) {}
}

export class ControllerRaftTransport implements Transport {
  private readonly peers = new Map<NodeId, Peer>();
  private handler: (msgs: Message[]) => void = () => {};
  private flushScheduled = false;
  private closed = false;
  private correlationId = 0;
  private readonly maxQueued: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly clock: () => number;
  private readonly localAddress: string | undefined;
  /** Wall-clock time of the last message received from each peer. */
  readonly lastHeardMs = new Map<NodeId, number>();
  dropped = 0;

  constructor(options: ControllerRaftTransportOptions) {
    this.maxQueued = options.maxQueuedMsgs ?? 10_000;
    this.minBackoff = options.reconnectMinMs ?? 20;
    this.maxBackoff = options.reconnectMaxMs ?? 1000;
    this.clock = options.clock ?? Date.now;
    this.localAddress =
      options.localAddress !== undefined && isIP(options.localAddress) !== 0 ? options.localAddress : undefined;
    for (const v of options.voters) if (v.id !== options.nodeId) this.peers.set(v.id, new Peer(v));
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
    if (this.closed) return;
    for (const m of msgs) {
      const p = this.peers.get(m.to);
      if (p === undefined || p.queue.length >= this.maxQueued) {
        this.dropped++;
        continue;
      }
      p.queue.push(m);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        for (const p of this.peers.values()) this.flushPeer(p);
      });
    }
  }

  private flushPeer(p: Peer): void {
    if (p.queue.length === 0 || this.closed) return;
    if (p.socket === null) {
      this.connectPeer(p);
      return;
    }
    if (p.socket.writableNeedDrain) return; // 'drain' flushes again; the queue stays bounded
    const msgs = p.queue;
    p.queue = [];
    this.correlationId = (this.correlationId + 1) | 0;
    const [head, body] = encodeRaftFrame(msgs, this.correlationId);
    p.socket.cork();
    p.socket.write(head!);
    p.socket.write(body!);
    p.socket.uncork();
  }

  private connectPeer(p: Peer): void {
    if (p.connecting || p.retryTimer !== null) return;
    p.connecting = true;
    const s = connect({
      host: p.voter.host,
      port: p.voter.port,
      ...(this.localAddress !== undefined ? { localAddress: this.localAddress } : {}),
    });
    s.setNoDelay(true);
    s.on("connect", () => {
      p.connecting = false;
      p.socket = s;
      p.backoffMs = 0;
      this.flushPeer(p);
    });
    s.on("drain", () => this.flushPeer(p));
    s.on("data", () => {}); // raft frames get no response
    s.on("error", () => {});
    s.on("close", () => {
      p.connecting = false;
      if (p.socket === s) p.socket = null;
      if (this.closed) return;
      this.dropped += p.queue.length;
      p.queue = [];
      p.backoffMs = Math.min(this.maxBackoff, Math.max(this.minBackoff, p.backoffMs * 2));
      p.retryTimer = setTimeout(() => {
        p.retryTimer = null;
        this.flushPeer(p);
      }, p.backoffMs);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.peers.values()) {
      if (p.retryTimer !== null) clearTimeout(p.retryTimer);
      p.socket?.destroy();
    }
  }
}
