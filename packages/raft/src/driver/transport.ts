// TCP transport: one outbound connection per peer, frames of [u32 length][msgpackr batch of
// messages], all messages queued for a peer in one event-loop turn go out as one frame.
// Queues are bounded (raft tolerates loss: excess messages are dropped and counted).
// The outbound half, PeerOutbox, is exported for transports that frame batches differently.
import { createServer, connect, type Server, type Socket } from "node:net";
import type { Message, NodeId } from "../core/types.js";
import { decodeMessages, encodeMessages } from "./codec.js";

export interface PeerAddress {
  host: string;
  port: number;
}

/** What the driver needs from a transport. */
export interface Transport {
  send(msgs: Message[]): void;
  setHandler(handler: (msgs: Message[]) => void): void;
  close(): Promise<void>;
}

export interface TcpTransportOptions {
  host?: string;
  /** 0 = any free port; read `port` after listen(). */
  port?: number;
  peers?: Map<NodeId, PeerAddress>;
  maxQueuedMsgs?: number;
  maxFrameBytes?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** Where a batch of messages goes: `PeerOutbox` writes the buffers of one frame in order. */
export type FrameEncoder = (msgs: Message[]) => Buffer[];

export interface PeerOutboxOptions {
  /** The frame (size prefix included) carrying one batch of messages to a peer. */
  encodeFrame: FrameEncoder;
  maxQueuedMsgs?: number | undefined;
  reconnectMinMs?: number | undefined;
  reconnectMaxMs?: number | undefined;
  /** Source address of the outbound connections (default: the OS picks). */
  localAddress?: string | undefined;
}

class Peer {
  socket: Socket | null = null;
  connecting = false;
  queue: Message[] = [];
  backoffMs = 0;
  retryTimer: NodeJS.Timeout | null = null;
  constructor(public addr: PeerAddress) {}
}

/**
 * The outbound half of a transport: one connection and one bounded queue per peer; every message
 * queued for a peer in one event-loop turn goes out as one frame. A peer that cannot be reached is
 * retried with capped exponential backoff and its queued messages are dropped (raft retries).
 */
export class PeerOutbox {
  private readonly peers = new Map<NodeId, Peer>();
  private flushScheduled = false;
  private closed = false;
  dropped = 0;
  private readonly encodeFrame: FrameEncoder;
  private readonly maxQueued: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly localAddress: string | undefined;

  constructor(opts: PeerOutboxOptions) {
    this.encodeFrame = opts.encodeFrame;
    this.maxQueued = opts.maxQueuedMsgs ?? 10_000;
    this.minBackoff = opts.reconnectMinMs ?? 20;
    this.maxBackoff = opts.reconnectMaxMs ?? 1000;
    this.localAddress = opts.localAddress;
  }

  /** Add or move a peer (e.g. after it restarted on a new port). */
  setPeer(id: NodeId, addr: PeerAddress): void {
    const p = this.peers.get(id);
    if (p === undefined) {
      this.peers.set(id, new Peer(addr));
      return;
    }
    if (p.addr.host === addr.host && p.addr.port === addr.port) return;
    p.addr = addr;
    p.socket?.destroy();
    p.socket = null;
    p.backoffMs = 0;
  }

  send(msgs: Message[]): void {
    if (this.closed) return;
    for (const m of msgs) {
      const p = this.peers.get(m.to);
      if (p === undefined) {
        this.dropped++;
        continue;
      }
      if (p.queue.length >= this.maxQueued) {
        this.dropped++;
        continue;
      }
      p.queue.push(m);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const p of this.peers.values()) this.flushPeer(p);
  }

  private flushPeer(p: Peer): void {
    if (p.queue.length === 0 || this.closed) return;
    if (p.socket === null) {
      this.connectPeer(p);
      return;
    }
    if (p.socket.writableNeedDrain) return; // wait for 'drain'; the queue stays bounded
    const msgs = p.queue;
    p.queue = [];
    const chunks = this.encodeFrame(msgs);
    p.socket.cork();
    for (const c of chunks) p.socket.write(c);
    p.socket.uncork();
  }

  private connectPeer(p: Peer): void {
    if (p.connecting || p.retryTimer !== null) return;
    p.connecting = true;
    const s = connect({
      host: p.addr.host,
      port: p.addr.port,
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
    s.on("data", () => {}); // peers never answer on this connection
    s.on("error", () => {});
    s.on("close", () => {
      p.connecting = false;
      if (p.socket === s) p.socket = null;
      if (this.closed) return;
      // Messages to a dead peer are dropped (raft retries); reconnect with backoff.
      this.dropped += p.queue.length;
      p.queue = [];
      p.backoffMs = Math.min(this.maxBackoff, Math.max(this.minBackoff, p.backoffMs * 2));
      p.retryTimer = setTimeout(() => {
        p.retryTimer = null;
        this.flushPeer(p);
      }, p.backoffMs);
    });
  }

  close(): void {
    this.closed = true;
    for (const p of this.peers.values()) {
      if (p.retryTimer !== null) clearTimeout(p.retryTimer);
      p.socket?.destroy();
    }
  }
}

/** TcpTransport's frame: [u32 length][msgpackr batch of messages]. */
function encodeLengthPrefixed(msgs: Message[]): Buffer[] {
  const body = encodeMessages(msgs);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return [head, body];
}

export class TcpTransport implements Transport {
  private server: Server | null = null;
  private readonly outbox: PeerOutbox;
  private readonly inbound = new Set<Socket>();
  private handler: (msgs: Message[]) => void = () => {};
  private closed = false;
  readonly host: string;
  port: number;
  private readonly maxFrame: number;

  constructor(opts: TcpTransportOptions = {}) {
    this.host = opts.host ?? "127.0.0.1";
    this.port = opts.port ?? 0;
    this.maxFrame = opts.maxFrameBytes ?? 64 << 20;
    this.outbox = new PeerOutbox({
      encodeFrame: encodeLengthPrefixed,
      maxQueuedMsgs: opts.maxQueuedMsgs,
      reconnectMinMs: opts.reconnectMinMs,
      reconnectMaxMs: opts.reconnectMaxMs,
    });
    for (const [id, a] of opts.peers ?? []) this.outbox.setPeer(id, a);
  }

  /** Messages dropped: to unknown peers, over a peer's queue bound, or queued when its connection closed. */
  get dropped(): number {
    return this.outbox.dropped;
  }

  setHandler(handler: (msgs: Message[]) => void): void {
    this.handler = handler;
  }

  /** Start listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => this.accept(s));
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        const a = server.address();
        if (a !== null && typeof a === "object") this.port = a.port;
        resolve(this.port);
      });
      this.server = server;
    });
  }

  /** Add or move a peer (e.g. after it restarted on a new port). */
  setPeer(id: NodeId, addr: PeerAddress): void {
    this.outbox.setPeer(id, addr);
  }

  send(msgs: Message[]): void {
    this.outbox.send(msgs);
  }

  private accept(s: Socket): void {
    if (this.closed) {
      s.destroy();
      return;
    }
    s.setNoDelay(true);
    this.inbound.add(s);
    // Accumulate chunks without copying until a whole frame is buffered (frames can be MBs).
    let chunks: Buffer[] = [];
    let buffered = 0;
    let need = 4; // bytes needed before the next step: the length prefix, then the frame
    let frameLen = -1;
    s.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      while (buffered >= need) {
        const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
        let pos = 0;
        for (;;) {
          if (frameLen < 0) {
            if (buf.length - pos < 4) break;
            frameLen = buf.readUInt32BE(pos);
            pos += 4;
            if (frameLen > this.maxFrame) {
              s.destroy(); // a frame over the limit: drop the connection
              return;
            }
          }
          if (buf.length - pos < frameLen) break;
          const frame = buf.subarray(pos, pos + frameLen);
          pos += frameLen;
          frameLen = -1;
          let msgs: Message[];
          try {
            msgs = decodeMessages(frame);
          } catch {
            s.destroy(); // undecodable input is never a crash
            return;
          }
          this.handler(msgs);
        }
        const rest = buf.subarray(pos);
        chunks = rest.length > 0 ? [rest] : [];
        buffered = rest.length;
        need = frameLen < 0 ? 4 : frameLen;
        if (buffered < need) break;
      }
    });
    s.on("error", () => {});
    s.on("close", () => this.inbound.delete(s));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.outbox.close();
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => {
      if (this.server === null) resolve();
      else this.server.close(() => resolve());
    });
  }
}
