// The CONTROLLER listener: one port for everything a controller speaks, in Kafka's framing —
// Kafka APIs (ApiVersions, BrokerRegistration, BrokerHeartbeat, AlterPartition, ...) answered in
// request order per connection, and raft's messages (a Gregor-internal key, no response).
// It is not the broker's BrokerServer: that one is built on BrokerServices (topic manager, append
// waiters) and decodes every frame with a generated codec, which the internal raft key has not.
import { createServer, type Server, type Socket } from "node:net";
import { apiCodec, decodeRequestFrame, encodeResponseFrame, ErrorCode, FrameDecoder } from "@gregor/protocol";
import { decodeMessages, type Message } from "@gregor/raft";
import type { Logger } from "pino";
import type { Handler, RequestContext } from "../../handlers/types.js";
import { RAFT_MESSAGES_API_KEY } from "./raft-frame.js";

const API_VERSIONS = 18;
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

export interface ControllerListenerOptions<Services> {
  host: string;
  port: number;
  handlers: readonly Handler[];
  services: Services;
  logger: Logger;
  /** Raft messages received on any connection. */
  onRaftMessages: (msgs: Message[]) => void;
  maxFrameBytes: number;
  /** Requests queued per connection before reading pauses. */
  maxInFlight: number;
}

interface Slot {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  done: boolean;
  result: unknown;
}

class ControllerConnection<Services> {
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private readonly abort = new AbortController();
  private readonly clientHost: string;
  private paused = false;
  closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly listener: ControllerListener<Services>,
    private readonly options: ControllerListenerOptions<Services>,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    this.clientHost = `${socket.remoteAddress ?? "unknown"}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.maybeResume());
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.reject(`bad frame size: ${(e as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.onFrame(frame);
    }
    if (this.queue.length >= this.options.maxInFlight) this.pause();
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 8) {
      this.reject("request shorter than its header");
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    if (apiKey === RAFT_MESSAGES_API_KEY) {
      this.onRaftFrame(frame);
      return;
    }
    const handler = apiKey >= 0 ? this.listener.table[apiKey] : undefined;
    const correlationId = frame.readInt32BE(4);
    if (handler === undefined || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS && handler !== undefined && apiVersion > handler.maxVersion) {
        // KIP-511: a too-new ApiVersions gets UNSUPPORTED_VERSION in a v0 body with the key list.
        const apiKeys = handler.handle({}, this.context(apiVersion, null)).apiKeys;
        this.queue.push({ apiKey, apiVersion: 0, correlationId, done: true, result: { errorCode: 35, apiKeys } });
        this.flush();
        return;
      }
      this.reject(`unsupported api key ${apiKey} version ${apiVersion}`);
      return;
    }
    let req: unknown;
    let ctx: RequestContext<Services>;
    try {
      const decoded = decodeRequestFrame(frame);
      req = apiCodec(apiKey)!.decodeRequest(decoded.body, apiVersion);
      ctx = this.context(apiVersion, decoded.header);
    } catch (e) {
      this.reject(`malformed request: ${(e as Error).message}`);
      return;
    }
    const slot: Slot = { apiKey, apiVersion, correlationId, done: false, result: null };
    this.queue.push(slot);
    let result: unknown;
    try {
      result = handler.handle(req, ctx);
    } catch (e) {
      this.complete(slot, handler, req, ctx, e, true);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, handler, req, ctx, r, false),
        (e) => this.complete(slot, handler, req, ctx, e, true),
      );
    } else {
      this.complete(slot, handler, req, ctx, result, false);
    }
  }

  private onRaftFrame(frame: Buffer): void {
    let msgs: Message[];
    try {
      const decoded = decodeRequestFrame(frame);
      msgs = decodeMessages(frame.subarray(decoded.body.pos));
    } catch (e) {
      this.reject(`undecodable raft frame: ${(e as Error).message}`);
      return;
    }
    this.options.onRaftMessages(msgs);
  }

  private context(apiVersion: number, header: RequestContext["header"] | null): RequestContext<Services> {
    return {
      header: header ?? {
        requestApiKey: API_VERSIONS,
        requestApiVersion: apiVersion,
        correlationId: 0,
        clientId: null,
      },
      apiVersion,
      clientId: header?.clientId ?? null,
      connectionId: this.id,
      clientHost: this.clientHost,
      signal: this.abort.signal,
      services: this.options.services,
    };
  }

  private complete(
    slot: Slot,
    handler: Handler,
    req: unknown,
    ctx: RequestContext<Services>,
    result: unknown,
    failed: boolean,
  ): void {
    if (this.closed) return;
    slot.done = true;
    slot.result = result;
    if (failed) {
      this.options.logger.error(
        { err: result, apiKey: handler.apiKey, connection: this.id },
        "controller handler failed",
      );
      if (handler.errorResponse === undefined) {
        this.destroy();
        return;
      }
      try {
        slot.result = handler.errorResponse(req, ErrorCode.UNKNOWN_SERVER_ERROR, ctx);
      } catch {
        this.destroy();
        return;
      }
    }
    this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!;
      let chunks: Buffer[];
      try {
        chunks = encodeResponseFrame(slot.apiKey, slot.apiVersion, slot.correlationId, slot.result);
      } catch (e) {
        this.options.logger.error({ err: e, apiKey: slot.apiKey }, "controller response encoding failed");
        this.destroy();
        return;
      }
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    }
    if (this.socket.writableLength > HIGH_WATER_BYTES) this.pause();
    else this.maybeResume();
  }

  private pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.queue.length < this.options.maxInFlight && this.socket.writableLength <= HIGH_WATER_BYTES) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Bad input closes this connection only (Kafka closes on undecodable requests). */
  private reject(reason: string): void {
    this.options.logger.debug(
      { connection: this.id, client: this.clientHost, reason },
      "closing controller connection",
    );
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.queue.length = 0;
    this.listener.connections.delete(this);
  }
}

export class ControllerListener<Services> {
  readonly table: (Handler | undefined)[] = [];
  readonly connections = new Set<ControllerConnection<Services>>();
  private readonly server: Server;
  private nextConnectionId = 1;
  private closing = false;
  port = 0;

  constructor(private readonly options: ControllerListenerOptions<Services>) {
    for (const h of options.handlers) this.table[h.apiKey] = h;
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on("error", (err) => options.logger.error({ err }, "controller listener error"));
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.connections.add(new ControllerConnection(this.nextConnectionId++, socket, this, this.options));
  }

  /** Binds the exact configured address; resolves with the bound port. */
  listen(): Promise<number> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host: host === "" ? undefined : host, port, exclusive: true }, () => {
        this.server.off("error", onError);
        const addr = this.server.address();
        this.port = typeof addr === "object" && addr !== null ? addr.port : port;
        resolve(this.port);
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const c of [...this.connections]) c.destroy();
    await closed;
  }
}
