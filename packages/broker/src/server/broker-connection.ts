// The broker listener's connection: a PipelinedConnection that decodes each request with the
// handler table (the produce fast path first), counts it in the metrics, and completes the
// connection's delayed produces when it closes.
import type { Socket } from "node:net";
import { ApiKey, apiCodec, decodeRequestFrame, type RequestHeader } from "@gregor/protocol";
import type { Handler, RequestContext } from "../handlers/types.js";
import type { BrokerServices } from "../services.js";
import { PipelinedConnection } from "./connection.js";
import { ProduceDecoder } from "./produce-decode.js";

const HIGH_WATER_BYTES = 16 * 1024 * 1024;

export class Connection extends PipelinedConnection<BrokerServices> {
  private readonly produceDecoder = new ProduceDecoder();

  constructor(
    id: number,
    socket: Socket,
    private readonly handlers: readonly (Handler | undefined)[],
    private readonly services: BrokerServices,
    maxInFlight: number,
    private readonly onClose: (c: Connection) => void,
  ) {
    super(id, socket, services.logger, services.config["socket.request.max.bytes"], maxInFlight, HIGH_WATER_BYTES);
  }

  protected override onData(chunk: Buffer): void {
    this.services.metrics.bytesIn += chunk.length;
    super.onData(chunk);
  }

  protected onRequest(frame: Buffer, apiKey: number, apiVersion: number): void {
    const handler = apiKey >= 0 ? this.handlers[apiKey] : undefined;
    const supported = handler !== undefined && apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion;
    if (!supported) {
      if (apiKey === ApiKey.ApiVersions && handler !== undefined && apiVersion > handler.maxVersion) {
        this.answerNewerApiVersions(handler, frame.readInt32BE(4), {
          services: this.services,
        } as RequestContext<BrokerServices>);
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
    this.run(handler, req, {
      header,
      apiVersion,
      clientId: header.clientId ?? null,
      connectionId: this.id,
      clientHost: this.clientHost,
      services: this.services,
      signal: this.abort.signal,
    });
  }

  protected override handled(handler: Handler, startedAt: number): void {
    this.services.metrics.record(handler.apiKey, performance.now() - startedAt);
  }

  protected override onHandlerFailed(handler: Handler, req: unknown): boolean {
    this.services.metrics.errorsByApi[handler.apiKey]! += 1;
    return handler.apiKey === ApiKey.Produce && (req as { acks?: number }).acks === 0;
  }

  protected override wrote(bytes: number): void {
    this.services.metrics.bytesOut += bytes;
  }

  /** Stops reading; in-flight requests still answer (graceful shutdown). */
  stopReading(): void {
    this.stopped = true;
    this.held = [];
    this.pause();
  }

  /** Resolves once every queued request has been answered and written. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && (this.inFlight > 0 || this.socket.writableLength > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  protected onClosed(): void {
    this.services.appendWaiters.completeConnection(this.id);
    this.onClose(this);
  }
}
