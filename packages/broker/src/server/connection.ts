// One client connection: frames in, handlers run, responses out in request order (pipelining).
// A per-connection queue holds a slot per request; a slot is written once it and every slot before
// it are complete, so a slow Fetch never lets a later Metadata overtake it. Reading pauses while
// more than `maxInFlight` requests are queued or the socket's write buffer is full (bounded memory).
import type { Socket } from "node:net";
import {
  ApiKey,
  apiCodec,
  decodeRequestFrame,
  encodeResponseFrame,
  FrameDecoder,
  type RequestHeader,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import { NO_RESPONSE, type Handler, type RequestContext } from "../handlers/types.js";
import type { BrokerServices } from "../services.js";
import { DirectResponse } from "./direct-response.js";
import { OutBuffer } from "./out-buffer.js";
import { ProduceDecoder } from "./produce-decode.js";

/** A request's place in the answer order; its response is encoded when it reaches the head. */
class Slot {
  done = false;
  /** The response body (a message object or a DirectResponse); NO_RESPONSE for none. */
  result: unknown = NO_RESPONSE;
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
  ) {}
}

const RESOLVED = Promise.resolve();
const HIGH_WATER_BYTES = 16 * 1024 * 1024;

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private head = 0;
  private paused = false;
  private flushScheduled = false;
  private closed = false;
  private readonly clientHost: string;
  private readonly abort = new AbortController();
  private readonly out = new OutBuffer();
  private readonly produceDecoder = new ProduceDecoder();

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly handlers: readonly (Handler | undefined)[],
    private readonly services: BrokerServices,
    private readonly maxInFlight: number,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.decoder = new FrameDecoder(services.config["socket.request.max.bytes"]);
    this.clientHost = `${socket.remoteAddress ?? "unknown"}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.maybeResume());
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  get inFlight(): number {
    return this.queue.length - this.head;
  }

  private onData(chunk: Buffer): void {
    this.services.metrics.bytesIn += chunk.length;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      // Over socket.request.max.bytes (or a negative size): Kafka closes the connection.
      this.services.logger.debug(
        { connection: this.id, client: this.clientHost, err: (e as Error).message },
        "closing connection: bad frame size",
      );
      this.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.onFrame(frame);
    }
    if (this.inFlight >= this.maxInFlight) this.pause();
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 8) {
      this.reject("request shorter than its header", -1, -1);
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const handler = apiKey >= 0 ? this.handlers[apiKey] : undefined;
    const supported = handler !== undefined && apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion;
    if (!supported) {
      if (apiKey === ApiKey.ApiVersions && handler !== undefined && apiVersion > handler.maxVersion) {
        // KIP-511: an unknown newer ApiVersions gets UNSUPPORTED_VERSION in a v0 body with the key list.
        const correlationId = frame.readInt32BE(4);
        const body = {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: handler.handle({}, { services: this.services } as RequestContext).apiKeys,
        };
        const slot = new Slot(ApiKey.ApiVersions, 0, correlationId);
        slot.done = true;
        slot.result = body;
        this.queue.push(slot);
        this.flush();
        return;
      }
      this.reject("unsupported api key or version", apiKey, apiVersion);
      return;
    }
    let header: RequestHeader;
    let req: unknown;
    const produce = apiKey === ApiKey.Produce ? this.produceDecoder.decode(frame, apiVersion) : null;
    if (produce !== null) {
      header = this.produceDecoder.header;
      req = produce;
    } else {
      try {
        const decoded = decodeRequestFrame(frame);
        header = decoded.header;
        req = apiCodec(apiKey)!.decodeRequest(decoded.body, apiVersion);
      } catch (e) {
        this.reject(`malformed request: ${(e as Error).message}`, apiKey, apiVersion);
        return;
      }
    }
    const slot = new Slot(apiKey, apiVersion, header.correlationId);
    this.queue.push(slot);
    const ctx: RequestContext<BrokerServices> = {
      header,
      apiVersion,
      clientId: header.clientId ?? null,
      connectionId: this.id,
      clientHost: this.clientHost,
      services: this.services,
      signal: this.abort.signal,
    };
    const startedAt = performance.now();
    let result: unknown;
    try {
      result = handler.handle(req, ctx);
    } catch (e) {
      this.complete(slot, handler, req, ctx, startedAt, e, true);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, handler, req, ctx, startedAt, r, false),
        (e) => this.complete(slot, handler, req, ctx, startedAt, e, true),
      );
    } else {
      this.complete(slot, handler, req, ctx, startedAt, result, false);
    }
  }

  private complete(
    slot: Slot,
    handler: Handler,
    req: unknown,
    ctx: RequestContext<BrokerServices>,
    startedAt: number,
    result: unknown,
    failed: boolean,
  ): void {
    this.services.metrics.record(handler.apiKey, performance.now() - startedAt);
    if (this.closed) return;
    slot.done = true;
    if (failed) {
      this.services.metrics.errorsByApi[handler.apiKey]! += 1;
      this.services.logger.error(
        { err: result, apiKey: handler.apiKey, apiVersion: ctx.apiVersion, connection: this.id },
        "handler failed",
      );
      if (handler.apiKey === ApiKey.Produce && (req as { acks?: number }).acks === 0) {
        this.scheduleFlush();
        return;
      }
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
    } else {
      slot.result = result;
    }
    this.scheduleFlush();
  }

  /**
   * Coalesces the responses completed in one run of the microtask queue (e.g. every produce of a
   * group commit: storage resolves them in one callback) into one write, without waiting for the
   * next event-loop turn (a setImmediate here cost a loop iteration per acknowledgement).
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void RESOLVED.then(this.flushTask); // lighter than queueMicrotask (no async-context wrapper)
  }

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.closed) return;
    const q = this.queue;
    if (q[this.head]?.done !== true) return;
    const out = this.out;
    while (this.head < q.length && q[this.head]!.done) {
      const slot = q[this.head]!;
      q[this.head] = undefined as unknown as Slot;
      this.head++;
      if (!this.encode(slot, out)) return;
    }
    const pieces = out.take();
    let bytes = 0;
    if (pieces === null) {
      // Nothing to write (acks=0 produces).
    } else if (Buffer.isBuffer(pieces)) {
      this.socket.write(pieces);
      bytes = pieces.length;
    } else {
      this.socket.cork();
      for (const c of pieces) {
        this.socket.write(c);
        bytes += c.length;
      }
      this.socket.uncork();
    }
    this.services.metrics.bytesOut += bytes;
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      q.splice(0, this.head);
      this.head = 0;
    }
    if (this.socket.writableLength > HIGH_WATER_BYTES) this.pause();
    else this.maybeResume();
  }

  /** Appends a slot's response frame to `out`; false (connection destroyed) when it cannot be encoded. */
  private encode(slot: Slot, out: OutBuffer): boolean {
    const result = slot.result;
    if (result === NO_RESPONSE) return true;
    try {
      if (result instanceof DirectResponse) result.encodeFrame(out, slot.apiVersion, slot.correlationId);
      else for (const c of encodeResponseFrame(slot.apiKey, slot.apiVersion, slot.correlationId, result)) out.raw(c);
    } catch (e) {
      this.services.logger.error(
        { err: e, apiKey: slot.apiKey, apiVersion: slot.apiVersion },
        "response encoding failed",
      );
      this.destroy();
      return false;
    }
    return true;
  }

  private pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.inFlight < this.maxInFlight && this.socket.writableLength <= HIGH_WATER_BYTES) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Kafka closes the connection on unknown API keys/versions and undecodable requests. */
  private reject(reason: string, apiKey: number, apiVersion: number): void {
    this.services.logger.debug(
      { connection: this.id, client: this.clientHost, apiKey, apiVersion, reason },
      "closing connection",
    );
    this.destroy();
  }

  /** Stops reading; in-flight requests still answer (graceful shutdown). */
  stopReading(): void {
    this.pause();
  }

  /** Resolves once every queued request has been answered and written. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && (this.inFlight > 0 || this.socket.writableLength > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  destroy(): void {
    this.socket.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.services.appendWaiters.completeConnection(this.id);
    this.queue.length = 0;
    this.head = 0;
    this.onClose(this);
  }
}
