// The TCP listener: accepts connections, hands each to a Connection, and shuts down gracefully
// (stop accepting, stop reading, let in-flight requests answer, then close sockets).
import { createServer, type Server, type Socket } from "node:net";
import type { Handler } from "../handlers/types.js";
import type { BrokerServices } from "../services.js";
import { Connection } from "./broker-connection.js";
import { ConnectionLimits } from "./limits.js";

/** How often idle connections and stalled request reads are looked for. */
const EXPIRY_SWEEP_MS = 1000;

export class BrokerServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly table: (Handler | undefined)[] = [];
  private nextConnectionId = 1;
  readonly limits: ConnectionLimits;
  private readonly sweep: NodeJS.Timeout;
  /** Resolves on the first accepted connection (start-up timing). */
  firstConnectionAt: number | null = null;

  constructor(
    private readonly services: BrokerServices,
    handlers: readonly Handler[],
  ) {
    for (const h of handlers) this.table[h.apiKey] = h;
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on("error", (err) => services.logger.error({ err }, "listener error"));
    const config = services.config;
    this.limits = new ConnectionLimits(
      {
        maxConnections: config["max.connections"],
        maxConnectionsPerIp: config["max.connections.per.ip"],
        perIpOverrides: config["max.connections.per.ip.overrides"],
      },
      services.logger,
    );
    this.sweep = setInterval(() => this.expireConnections(), EXPIRY_SWEEP_MS).unref();
  }

  private expireConnections(): void {
    const now = performance.now();
    const idleMs = this.services.config["connections.max.idle.ms"];
    const readTimeoutMs = this.services.config["gregor.socket.request.read.timeout.ms"];
    for (const c of this.connections) c.expire(now, idleMs, readTimeoutMs > 0 ? readTimeoutMs : -1);
  }

  private accept(socket: Socket): void {
    if (this.firstConnectionAt === null) this.firstConnectionAt = performance.now();
    if (this.services.closing) {
      socket.destroy();
      return;
    }
    this.services.metrics.connectionsOpened++;
    const ip = socket.remoteAddress ?? "unknown";
    this.limits.accept(
      socket,
      () => this.admit(socket, ip),
      () => this.services.metrics.connectionsClosed++,
    );
  }

  private admit(socket: Socket, ip: string): void {
    if (this.services.closing || socket.destroyed) {
      this.limits.release(ip);
      this.services.metrics.connectionsClosed++;
      socket.destroy();
      return;
    }
    const c = new Connection(
      this.nextConnectionId++,
      socket,
      this.table,
      this.services,
      this.services.config["queued.max.requests"],
      (conn) => {
        this.connections.delete(conn);
        this.services.metrics.connectionsClosed++;
        this.limits.release(ip);
      },
    );
    this.connections.add(c);
  }

  listen(host: string, port: number): Promise<number> {
    return listenExclusive(this.server, host, port);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes every socket. */
  async close(timeoutMs = 5000): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    clearInterval(this.sweep);
    this.limits.close();
    for (const c of this.connections) c.stopReading();
    await Promise.all([...this.connections].map((c) => c.drain(timeoutMs)));
    for (const c of this.connections) c.destroy();
    await closed;
  }
}

/**
 * Binds `server` to exactly `host:port` ("" = every interface; port 0 = a free one), failing
 * instead of sharing the port; resolves with the bound port.
 */
export function listenExclusive(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen({ host: host === "" ? undefined : host, port, exclusive: true }, () => {
      server.off("error", onError);
      const addr = server.address();
      resolve(typeof addr === "object" && addr !== null ? addr.port : port);
    });
  });
}
