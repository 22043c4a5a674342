import { ProtocolDecodeError } from "../primitives/errors.js";
import { Reader } from "../primitives/reader.js";
import { Writer } from "../primitives/writer.js";
import { decodeRequestHeader, encodeRequestHeader, type RequestHeader } from "../generated/request-header.js";
import { decodeResponseHeader, encodeResponseHeader } from "../generated/response-header.js";
import { apiCodec, requestHeaderVersion, responseHeaderVersion } from "./api-table.js";

/** Kafka's default `socket.request.max.bytes`. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  override readonly name = "FrameTooLargeError";
  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`frame of ${size} bytes exceeds the maximum of ${maxBytes} bytes`);
  }
}

/**
 * Splits a byte stream into length-prefixed frames (int32 size + payload). Bounded: a declared size
 * over `maxFrameBytes` (or negative) throws before anything is buffered for it.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes buffered that do not yet form a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Feeds socket data; returns the complete frames (payload only, without the size prefix). */
  push(chunk: Buffer): Buffer[] {
    let buf: Buffer;
    if (this.pendingBytes === 0) buf = chunk;
    else {
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingBytes + chunk.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const frames: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (buf.length - pos - 4 < size) break;
      frames.push(buf.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
    return frames;
  }
}

export interface DecodedRequest {
  header: RequestHeader;
  /** Reader positioned at the start of the body. */
  body: Reader;
}

/** Reads the request header; the header's own version follows from its apiKey and apiVersion. */
export function decodeRequestFrame(frame: Buffer): DecodedRequest {
  if (frame.length < 8) throw new ProtocolDecodeError("request shorter than its header", "RequestHeader", 0);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const r = new Reader(frame);
  const header = decodeRequestHeader(r, apiCodec(apiKey) === undefined ? 1 : requestHeaderVersion(apiKey, apiVersion));
  return { header, body: r };
}

/** Encodes a whole request frame (size prefix, header, body) as slices ready for writev. */
export function encodeRequestFrame(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: unknown): Buffer[] {
  const codec = apiCodec(apiKey);
  if (codec === undefined) throw new Error(`unknown api key ${apiKey}`);
  const w = new Writer(256);
  const sizeAt = w.reserveInt32();
  encodeRequestHeader(w, requestHeaderVersion(apiKey, apiVersion), { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId });
  codec.encodeRequest(w, apiVersion, body);
  w.patchInt32(sizeAt, w.length - 4);
  return w.toChunks();
}

/** Encodes a whole response frame (size prefix, header, body) as slices ready for writev. */
export function encodeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
  const codec = apiCodec(apiKey);
  if (codec === undefined) throw new Error(`unknown api key ${apiKey}`);
  const w = new Writer(256);
  const sizeAt = w.reserveInt32();
  encodeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
  codec.encodeResponse(w, apiVersion, body);
  w.patchInt32(sizeAt, w.length - 4);
  return w.toChunks();
}

/** Decodes a response frame for a request the caller sent with (apiKey, apiVersion). */
export function decodeResponseFrame<T = unknown>(frame: Buffer, apiKey: number, apiVersion: number): { correlationId: number; body: T } {
  const codec = apiCodec(apiKey);
  if (codec === undefined) throw new Error(`unknown api key ${apiKey}`);
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  return { correlationId: header.correlationId, body: codec.decodeResponse(r, apiVersion) as T };
}
