// One client connection: frames in, handlers run, responses out in request order (pipelining).
// A per-connection queue holds a slot per request; a slot is written once it and every slot before
// it are complete, so a slow Fetch never lets a later Metadata overtake it. Reading pauses while
// more than `maxInFlight` requests are queued or the socket's write buffer is full (bounded memory).
// PipelinedConnection is that machinery; Connection (the broker's listeners, broker-connection.ts)
// and the controller listener's connection decode frames into it.
import type { Socket } from "node:net";
import { ApiKey, encodeResponseFrame, FrameDecoder } from "@gregor/protocol";
import type { Logger } from "pino";
import { ErrorCode } from "../errors.js";
import { NO_RESPONSE, type Handler, type RequestContext } from "../handlers/types.js";
import { DirectResponse } from "./direct-response.js";
import { OutBuffer } from "./out-buffer.js";

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

/**
 * Fetch requests of one connection computed at once. Clients keep one Fetch in flight per broker
 * (librdkafka, Java, followers), and Kafka answers a connection's requests one at a time; a client
 * pipelining fetches it never reads would otherwise have queued.max.requests responses of up to
 * fetch.max.bytes each built at once (issue 13).
 */
const MAX_FETCHES_IN_FLIGHT = 1;

/**
 * Requests started from one burst of frames before their responses are written: a handler that
 * answers synchronously only reaches the socket's buffer (and its high-water mark) in the flush
 * after the burst, so an unbounded burst would compute every response of a chunk at once.
 */
const MAX_STARTED_PER_BURST = 32;

/**
 * A Kafka-framed connection answering pipelined requests in request order. A subclass decodes
 * each request (`onRequest`) and starts its handler with `run`; this class orders the answers,
 * turns a handler's throw into its error response, writes, applies backpressure and closes.
 */
export abstract class PipelinedConnection<Services> {
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private head = 0;
  private paused = false;
  private flushScheduled = false;
  protected closed = false;
  protected readonly clientHost: string;
  protected readonly abort = new AbortController();
  private readonly out = new OutBuffer();
  /** Request frames read but not started yet (see runFrames). */
  protected held: Buffer[] = [];
  /** Fetches started and not yet answered (at most MAX_FETCHES_IN_FLIGHT). */
  private fetchesInFlight = 0;
  /** When bytes last came in or went out (connections.max.idle.ms). */
  private lastActiveMs = performance.now();
  /** Since when a request frame has been partly read; -1 when none is (the request read timeout). */
  private partialSinceMs = -1;

  constructor(
    readonly id: number,
    protected readonly socket: Socket,
    protected readonly logger: Logger,
    maxFrameBytes: number,
    private readonly maxInFlight: number,
    private readonly highWaterBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
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

  /** One request frame (header included, size prefix stripped) with its header's key and version. */
  protected abstract onRequest(frame: Buffer, apiKey: number, apiVersion: number): void;

  /** After the connection closed (once). */
  protected abstract onClosed(): void;

  /** When a request's handler has finished (before anything is written). */
  protected handled(_handler: Handler, _startedAt: number): void {}

  /** When a handler failed (after the log line); true when the request gets no response. */
  protected onHandlerFailed(_handler: Handler, _req: unknown): boolean {
    return false;
  }

  /** Bytes written to the socket by one flush. */
  protected wrote(_bytes: number): void {}

  protected onData(chunk: Buffer): void {
    let frames: Buffer[];
    this.lastActiveMs = performance.now();
    try {
      frames = this.decoder.push(chunk);
      if (this.decoder.bufferedBytes === 0) this.partialSinceMs = -1;
      else if (this.partialSinceMs < 0 || frames.length > 0) this.partialSinceMs = this.lastActiveMs;
    } catch (e) {
      // Over socket.request.max.bytes (or a negative size): Kafka closes the connection.
      this.logger.debug(
        { connection: this.id, client: this.clientHost, err: (e as Error).message },
        "closing connection: bad frame size",
      );
      this.destroy();
      return;
    }
    if (this.held.length > 0) {
      for (const frame of frames) this.held.push(frame);
      this.pause();
      return;
    }
    this.runFrames(frames);
  }

  /**
   * Starts the frames' requests in order while the connection has room: fewer than maxInFlight
   * requests in flight and at most highWaterBytes of responses unwritten. The rest wait, decoded
   * but not started, and reading pauses: one socket chunk can hold a thousand small requests,
   * and a client that never reads its responses must not make the broker compute them all
   * (issue 13).
   */
  private runFrames(frames: readonly Buffer[]): void {
    for (let i = 0; i < frames.length; i++) {
      if (this.closed) return;
      const frame = frames[i]!;
      const fetch = frame.length >= 2 && frame.readInt16BE(0) === ApiKey.Fetch;
      if (
        this.inFlight >= this.maxInFlight ||
        this.socket.writableLength > this.highWaterBytes ||
        (fetch && this.fetchesInFlight >= MAX_FETCHES_IN_FLIGHT) ||
        i >= MAX_STARTED_PER_BURST
      ) {
        for (let j = i; j < frames.length; j++) this.held.push(frames[j]!);
        this.pause();
        // Responses completed meanwhile are written first; their flush starts the held frames
        // (maybeResume) once the socket's buffer shows room.
        this.scheduleFlush();
        return;
      }
      if (frame.length < 8) {
        this.reject("request shorter than its header", -1, -1);
        return;
      }
      this.onRequest(frame, frame.readInt16BE(0), frame.readInt16BE(2));
    }
    if (this.inFlight >= this.maxInFlight) this.pause();
  }

  /** KIP-511: an unknown newer ApiVersions gets UNSUPPORTED_VERSION in a v0 body with the key list. */
  protected answerNewerApiVersions(handler: Handler, correlationId: number, ctx: RequestContext<Services>): void {
    const slot = new Slot(ApiKey.ApiVersions, 0, correlationId);
    slot.done = true;
    slot.result = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: handler.handle({}, ctx).apiKeys };
    this.queue.push(slot);
    this.flush();
  }

  /** Queues the request's slot and runs its handler; the response is written in request order. */
  protected run(handler: Handler, req: unknown, ctx: RequestContext<Services>): void {
    const slot = new Slot(handler.apiKey, ctx.apiVersion, ctx.header.correlationId);
    this.queue.push(slot);
    if (handler.apiKey === ApiKey.Fetch) this.fetchesInFlight++;
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
    ctx: RequestContext<Services>,
    startedAt: number,
    result: unknown,
    failed: boolean,
  ): void {
    this.handled(handler, startedAt);
    if (handler.apiKey === ApiKey.Fetch) this.fetchesInFlight--;
    if (this.closed) return;
    slot.done = true;
    if (failed) {
      this.logger.error(
        { err: result, apiKey: handler.apiKey, apiVersion: ctx.apiVersion, connection: this.id },
        "handler failed",
      );
      if (this.onHandlerFailed(handler, req)) {
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
    this.wrote(bytes);
    if (bytes > 0) this.lastActiveMs = performance.now();
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      q.splice(0, this.head);
      this.head = 0;
    }
    if (this.socket.writableLength > this.highWaterBytes) this.pause();
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
      this.logger.error({ err: e, apiKey: slot.apiKey, apiVersion: slot.apiVersion }, "response encoding failed");
      this.destroy();
      return false;
    }
    return true;
  }

  protected pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closed || this.stopped) return;
    if (this.inFlight >= this.maxInFlight || this.socket.writableLength > this.highWaterBytes) return;
    if (this.held.length > 0) {
      const held = this.held;
      this.held = [];
      this.runFrames(held);
      if (this.held.length > 0 || this.closed) return;
    }
    if (this.inFlight < this.maxInFlight && this.socket.writableLength <= this.highWaterBytes) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Set by stopReading: nothing more is read or started (graceful shutdown). */
  protected stopped = false;

  /** Kafka closes the connection on unknown API keys/versions and undecodable requests. */
  protected reject(reason: string, apiKey: number, apiVersion: number): void {
    this.logger.debug(
      { connection: this.id, client: this.clientHost, apiKey, apiVersion, reason },
      "closing connection",
    );
    this.destroy();
  }

  /**
   * Closes the connection when it has been idle (nothing read or written, nothing in flight) for
   * `idleMs` (Kafka's connections.max.idle.ms), or when a request has been arriving for longer
   * than `readTimeoutMs` (a client sending a byte now and then holds a buffer and a socket
   * forever otherwise). Either limit < 0 is off. Returns whether it closed.
   */
  expire(nowMs: number, idleMs: number, readTimeoutMs: number): string | null {
    if (this.closed) return null;
    let reason: string | null = null;
    if (readTimeoutMs >= 0 && this.partialSinceMs >= 0 && nowMs - this.partialSinceMs > readTimeoutMs) {
      reason = "request read timeout";
    } else if (idleMs >= 0 && this.inFlight === 0 && nowMs - this.lastActiveMs > idleMs) {
      reason = "idle";
    }
    if (reason === null) return null;
    this.logger.debug({ connection: this.id, client: this.clientHost, reason }, "closing connection");
    this.destroy();
    return reason;
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
    this.head = 0;
    this.onClosed();
  }
}
