// One TCP (or TLS) connection to one broker: pipelined requests matched to responses by correlation
// id (Kafka answers in order on a connection), a bounded in-flight window, request timeouts, and
// ApiVersions negotiation at connect time (each request is sent at the highest version both sides
// support). Exported for @gregor/replication to reuse.
import { ApiKey, type ApiVersionsResponse } from "@gregor/protocol";
import net from "node:net";
import tls from "node:tls";
import { apiCodec, decodeResponseFrame, encodeRequestFrame } from "@gregor/protocol";
import { KafkaConnectionError, KafkaProtocolError, GregorClientError, ResponseDecodeError } from "./errors.js";
import { silentLogger, type Logger } from "./logger.js";
import { authenticate, type SaslOptions } from "./sasl.js";

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Requests sent but not yet answered; more wait in a queue of `maxQueuedRequests`. */
  maxInFlightRequests?: number;
  maxQueuedRequests?: number;
  maxFrameBytes?: number;
  tls?: tls.ConnectionOptions | boolean;
  sasl?: SaslOptions;
  logger?: Logger;
  /** Local address to connect from over plaintext (a broker's own host: per-host network faults apply to it). */
  localAddress?: string;
  /** Highest version the caller will use per API key (fields it does not handle above that). */
  versionCaps?: Readonly<Record<number, number>>;
}

interface Pending {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  deadlineMs: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

interface Queued {
  apiKey: number;
  apiVersion: number;
  body: unknown;
  expectResponse: boolean;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

/** Versions above these are not sent by default: the client code fills fields up to these. */
export const DEFAULT_VERSION_CAPS: Readonly<Record<number, number>> = {
  0: 11, // Produce (v12+ would use topic ids)
  1: 12, // Fetch (v13+ uses topic ids)
  3: 12, // Metadata
};

export class Connection {
  readonly broker: string;
  private socket: net.Socket | null = null;
  private nextCorrelationId = 1;
  private readonly inFlight: Pending[] = [];
  private inFlightHead = 0;
  private readonly queue: Queued[] = [];
  private versions = new Map<number, { min: number; max: number }>();
  private closed = false;
  private closeError: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private corked = false;
  // Frame assembly: one buffer of the announced size, filled by successive chunks.
  private frame: Buffer | null = null;
  private frameFilled = 0;
  private header: Buffer | null = null;
  private readonly log: Logger;
  private readonly o: Required<Omit<ConnectionOptions, "tls" | "sasl" | "logger" | "versionCaps" | "localAddress">>;
  private readonly caps: Readonly<Record<number, number>>;
  onClose: ((err: Error | null) => void) | null = null;

  private constructor(private readonly opts: ConnectionOptions) {
    this.broker = `${opts.host}:${opts.port}`;
    this.log = opts.logger ?? silentLogger;
    this.caps = { ...DEFAULT_VERSION_CAPS, ...opts.versionCaps };
    this.o = {
      host: opts.host,
      port: opts.port,
      clientId: opts.clientId ?? "gregor",
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      maxInFlightRequests: opts.maxInFlightRequests ?? 64,
      maxQueuedRequests: opts.maxQueuedRequests ?? 100_000,
      maxFrameBytes: opts.maxFrameBytes ?? 256 * 1024 * 1024,
    };
  }

  /** Connects, negotiates API versions, and authenticates when `sasl` is set. */
  static async connect(opts: ConnectionOptions): Promise<Connection> {
    const c = new Connection(opts);
    await c.open();
    try {
      await c.negotiateVersions();
      if (opts.sasl) await authenticate(c, opts.sasl);
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get inFlightCount(): number {
    return this.inFlight.length - this.inFlightHead;
  }

  /** The highest version of `apiKey` both sides support, or -1 when there is none. */
  version(apiKey: number, ourMax?: number): number {
    const codec = apiCodec(apiKey);
    const theirs = this.versions.get(apiKey);
    if (!codec || !theirs) return -1;
    const max = Math.min(codec.maxVersion, theirs.max, this.caps[apiKey] ?? Infinity, ourMax ?? Infinity);
    const min = Math.max(codec.minVersion, theirs.min);
    return max >= min ? max : -1;
  }

  supports(apiKey: number): boolean {
    return this.version(apiKey) >= 0;
  }

  /**
   * Sends one request at the negotiated version (or `apiVersion`) and resolves with the decoded body.
   * With `expectResponse: false` (acks=0 Produce) it resolves once the bytes are queued.
   */
  request<T>(apiKey: number, body: unknown, options?: { apiVersion?: number; expectResponse?: boolean }): Promise<T> {
    const v = options?.apiVersion ?? this.version(apiKey);
    if (v < 0) {
      const name = apiCodec(apiKey)?.name ?? String(apiKey);
      return Promise.reject(
        new GregorClientError(`broker ${this.broker} does not support ${name} at any version this client speaks`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(this.closeError ?? new KafkaConnectionError("connection closed", this.broker));
      const q: Queued = {
        apiKey,
        apiVersion: v,
        body,
        expectResponse: options?.expectResponse ?? true,
        resolve: resolve as (b: unknown) => void,
        reject,
      };
      if (this.inFlightCount < this.o.maxInFlightRequests && this.queue.length === 0) this.send(q);
      else if (this.queue.length >= this.o.maxQueuedRequests)
        reject(new KafkaConnectionError(`more than ${this.o.maxQueuedRequests} requests queued`, this.broker));
      else this.queue.push(q);
    });
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err ?? new KafkaConnectionError("connection closed", this.broker);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.socket?.destroy();
    const e = this.closeError;
    for (let i = this.inFlightHead; i < this.inFlight.length; i++) this.inFlight[i]!.reject(e);
    this.inFlight.length = 0;
    this.inFlightHead = 0;
    for (const q of this.queue.splice(0)) q.reject(e);
    this.onClose?.(err ?? null);
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const { host, port, connectTimeoutMs } = this.o;
      const t = this.opts.tls;
      const sock = t
        ? tls.connect({
            host,
            port,
            servername: net.isIP(host) ? undefined : host,
            ...(t === true ? {} : t),
          })
        : net.connect({ host, port, localAddress: this.opts.localAddress });
      this.socket = sock;
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new KafkaConnectionError(`connect timed out after ${connectTimeoutMs} ms`, this.broker));
      }, connectTimeoutMs);
      const onError = (e: Error): void => {
        clearTimeout(timer);
        reject(new KafkaConnectionError(`cannot connect: ${e.message}`, this.broker, { cause: e }));
      };
      sock.once("error", onError);
      sock.once(t ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        sock.off("error", onError);
        sock.on("error", (e) =>
          this.close(new KafkaConnectionError(`socket error: ${e.message}`, this.broker, { cause: e })),
        );
        sock.on("close", () => this.close(new KafkaConnectionError("connection closed by broker", this.broker)));
        sock.on("data", (chunk: Buffer) => this.onData(chunk));
        resolve();
      });
    });
  }

  private async negotiateVersions(): Promise<void> {
    const ours = apiCodec(ApiKey.ApiVersions)!;
    let v = Math.min(ours.maxVersion, 3);
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.request<ApiVersionsResponse>(
        ApiKey.ApiVersions,
        { clientSoftwareName: "gregor-client", clientSoftwareVersion: "0.1.0" },
        { apiVersion: v },
      );
      if (res.errorCode === 35 && attempt === 0) {
        // UNSUPPORTED_VERSION: the broker answers at v0 listing its own ApiVersions range (KIP-511).
        const theirs = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        v = Math.min(v, theirs?.maxVersion ?? 0);
        continue;
      }
      if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, "ApiVersions");
      this.versions = new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
      this.log.debug({ broker: this.broker, apis: this.versions.size }, "api versions negotiated");
      return;
    }
  }

  private send(q: Queued): void {
    const sock = this.socket!;
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    let chunks: Buffer[];
    try {
      chunks = encodeRequestFrame(q.apiKey, q.apiVersion, correlationId, this.o.clientId, q.body);
    } catch (e) {
      q.reject(e as Error);
      return;
    }
    if (!this.corked) {
      this.corked = true;
      sock.cork();
      process.nextTick(() => {
        this.corked = false;
        sock.uncork();
      });
    }
    for (const c of chunks) sock.write(c);
    if (!q.expectResponse) {
      q.resolve(undefined);
      return;
    }
    this.inFlight.push({
      correlationId,
      apiKey: q.apiKey,
      apiVersion: q.apiVersion,
      deadlineMs: Date.now() + this.o.requestTimeoutMs,
      resolve: q.resolve,
      reject: q.reject,
    });
    if (this.timer === null) {
      this.timer = setInterval(() => this.checkTimeouts(), Math.min(1000, Math.max(10, this.o.requestTimeoutMs / 4)));
      this.timer.unref();
    }
  }

  private checkTimeouts(): void {
    const head = this.inFlight[this.inFlightHead];
    if (head === undefined) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    // Responses come in order, so a late head means the connection is stuck: close it (as Kafka's clients do).
    if (Date.now() > head.deadlineMs) {
      const name = apiCodec(head.apiKey)?.name ?? String(head.apiKey);
      this.close(
        new KafkaConnectionError(`${name} request timed out after ${this.o.requestTimeoutMs} ms`, this.broker),
      );
    }
  }

  private onData(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.closed) {
      if (this.frame === null) {
        // Need the 4-byte size; it may straddle chunks.
        let size: number;
        if (this.header === null && chunk.length - pos >= 4) {
          size = chunk.readInt32BE(pos);
          pos += 4;
        } else {
          this.header ??= Buffer.alloc(0);
          const take = Math.min(4 - this.header.length, chunk.length - pos);
          this.header = Buffer.concat([this.header, chunk.subarray(pos, pos + take)]);
          pos += take;
          if (this.header.length < 4) return;
          size = this.header.readInt32BE(0);
          this.header = null;
        }
        if (size < 0 || size > this.o.maxFrameBytes) {
          this.close(
            new KafkaConnectionError(`response frame of ${size} bytes exceeds ${this.o.maxFrameBytes}`, this.broker),
          );
          return;
        }
        if (chunk.length - pos >= size) {
          // Whole frame inside this chunk: no copy.
          const f = chunk.subarray(pos, pos + size);
          pos += size;
          this.onFrame(f);
          continue;
        }
        this.frame = Buffer.allocUnsafe(size);
        this.frameFilled = 0;
      }
      const take = Math.min(this.frame.length - this.frameFilled, chunk.length - pos);
      chunk.copy(this.frame, this.frameFilled, pos, pos + take);
      this.frameFilled += take;
      pos += take;
      if (this.frameFilled === this.frame.length) {
        const f = this.frame;
        this.frame = null;
        this.onFrame(f);
      }
    }
  }

  private onFrame(frame: Buffer): void {
    const p = this.inFlight[this.inFlightHead];
    if (p === undefined) {
      this.close(new KafkaConnectionError("response without a request", this.broker));
      return;
    }
    const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : -1;
    if (correlationId !== p.correlationId) {
      this.close(
        new KafkaConnectionError(
          `correlation id ${correlationId} does not match the oldest request ${p.correlationId}`,
          this.broker,
        ),
      );
      return;
    }
    this.inFlight[this.inFlightHead] = undefined as unknown as Pending;
    this.inFlightHead++;
    if (this.inFlightHead > 1024 && this.inFlightHead * 2 > this.inFlight.length) {
      this.inFlight.splice(0, this.inFlightHead);
      this.inFlightHead = 0;
    } else if (this.inFlightHead === this.inFlight.length) {
      this.inFlight.length = 0;
      this.inFlightHead = 0;
    }
    let body: unknown;
    try {
      body = decodeResponseFrame(frame, p.apiKey, p.apiVersion).body;
    } catch (e) {
      p.reject(
        new ResponseDecodeError(
          `cannot decode ${apiCodec(p.apiKey)?.name} v${p.apiVersion} response: ${(e as Error).message}`,
          p.apiKey,
          { cause: e },
        ),
      );
      this.drainQueue();
      return;
    }
    p.resolve(body);
    this.drainQueue();
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && this.inFlightCount < this.o.maxInFlightRequests && !this.closed)
      this.send(this.queue.shift()!);
  }
}
