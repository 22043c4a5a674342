// Connection quotas (Kafka's ConnectionQuotas): max.connections for the whole broker and
// max.connections.per.ip (with max.connections.per.ip.overrides) per client address. Over the
// per-IP limit a new connection is closed at once, as Kafka does. Over the broker-wide limit Kafka's
// acceptor stops accepting until a connection closes; Node cannot stop accepting without closing
// the listener, so the accepted socket waits, unread, for a free slot (a bounded queue; beyond it
// the socket is closed).
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { parseConnectionOverrides } from "../config/connection-overrides.js";

export interface ConnectionLimitsConfig {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** max.connections.per.ip.overrides as given. */
  perIpOverrides: string;
}

/** Sockets waiting for a slot under max.connections, at most. */
export const MAX_WAITING_FOR_SLOT = 1024;

export class ConnectionLimits {
  private readonly maxConnections: number;
  private readonly maxPerIp: number;
  private readonly overrides: Map<string, number>;
  private readonly perIp = new Map<string, number>();
  private readonly waiting: { socket: Socket; admit: () => void }[] = [];
  private total = 0;
  /** Connections closed by a limit, for /metrics. */
  rejectedPerIp = 0;
  rejectedWaitQueueFull = 0;

  constructor(
    config: ConnectionLimitsConfig,
    private readonly logger: Logger,
  ) {
    this.maxConnections = config.maxConnections;
    this.maxPerIp = config.maxConnectionsPerIp;
    this.overrides = parseConnectionOverrides(config.perIpOverrides) ?? new Map();
  }

  get activeConnections(): number {
    return this.total;
  }

  get waitingConnections(): number {
    return this.waiting.length;
  }

  /**
   * Takes a slot for `socket` and calls `admit` (now, or once a slot frees); closes it instead
   * when its address is at its limit or too many wait (then `closed` is called). The caller
   * calls `release` when an admitted connection closes.
   */
  accept(socket: Socket, admit: () => void, closed: () => void): void {
    const ip = socket.remoteAddress ?? "unknown";
    const limit = this.overrides.get(ip) ?? this.maxPerIp;
    if ((this.perIp.get(ip) ?? 0) >= limit) {
      this.rejectedPerIp++;
      this.logger.info({ ip, limit }, "rejected connection: address already has max.connections.per.ip connections");
      socket.destroy();
      closed();
      return;
    }
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    if (this.total < this.maxConnections && this.waiting.length === 0) {
      this.total++;
      admit();
      return;
    }
    if (this.waiting.length >= MAX_WAITING_FOR_SLOT) {
      this.rejectedWaitQueueFull++;
      this.forget(ip);
      socket.destroy();
      closed();
      return;
    }
    socket.pause();
    const entry = { socket, admit };
    this.waiting.push(entry);
    socket.once("close", () => {
      const i = this.waiting.indexOf(entry);
      if (i < 0) return;
      this.waiting.splice(i, 1);
      this.forget(ip);
      closed();
    });
  }

  /** An admitted connection from `ip` closed: its slot goes to the oldest waiting socket. */
  release(ip: string): void {
    this.total--;
    this.forget(ip);
    while (this.total < this.maxConnections && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      if (next.socket.destroyed) continue;
      this.total++;
      next.socket.resume();
      next.admit();
    }
  }

  /** Closes the sockets still waiting (shutdown). */
  close(): void {
    for (const { socket } of this.waiting.splice(0)) socket.destroy();
  }

  private forget(ip: string): void {
    const n = (this.perIp.get(ip) ?? 0) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }
}
