import { ProtocolDecodeError } from "../primitives/errors.js";
import { Reader } from "../primitives/reader.js";
import { Writer } from "../primitives/writer.js";
import { decodeRequestHeader, encodeRequestHeader, type RequestHeader } from "../generated/request-header.js";
import { decodeResponseHeader, encodeResponseHeader } from "../generated/response-header.js";
import type { ApiCodec } from "../generated/api-codecs.js";
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
 * over `maxFrameBytes` (or negative) throws before anything is buffered for it. A frame arriving in
 * many chunks is copied once, when its last chunk arrives (chunks are collected until then), so a
 * large frame costs O(size) whatever the chunking. Complete frames are zero-copy views of the chunk
 * they arrived in when they fit in one.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload size of the frame being collected; -1 until its 4-byte prefix is complete. */
  private needed = -1;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes buffered that do not yet form a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds socket data; returns the complete frames (payload only, without the size prefix). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let buf = chunk;
    if (this.buffered > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.needed < 0) {
        if (this.buffered < 4) return frames;
        // Only the prefix was split: join the (small) pieces to read it.
        const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
        this.chunks = [head];
        this.needed = this.readSize(head, 0);
      }
      if (this.buffered < 4 + this.needed) return frames;
      buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
      this.needed = -1;
    }
    let pos = 0;
    while (buf.length - pos >= 4) {
      const size = this.readSize(buf, pos);
      if (buf.length - pos - 4 < size) {
        this.needed = size;
        break;
      }
      frames.push(buf.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.chunks = [rest];
      this.buffered = rest.length;
      if (rest.length < 4) this.needed = -1;
    }
    return frames;
  }

  private readSize(buf: Buffer, pos: number): number {
    const size = buf.readInt32BE(pos);
    if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
    return size;
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
export function encodeRequestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
): Buffer[] {
  const codec = knownCodec(apiKey);
  const w = frameWriter();
  encodeRequestHeader(w, requestHeaderVersion(apiKey, apiVersion), {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId,
    clientId,
  });
  codec.encodeRequest(w, apiVersion, body);
  return frameChunks(w);
}

/** Encodes a whole response frame (size prefix, header, body) as slices ready for writev. */
export function encodeResponseFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
): Buffer[] {
  const codec = knownCodec(apiKey);
  const w = frameWriter();
  encodeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
  codec.encodeResponse(w, apiVersion, body);
  return frameChunks(w);
}

/** Decodes a response frame for a request the caller sent with (apiKey, apiVersion). */
export function decodeResponseFrame<T = unknown>(
  frame: Buffer,
  apiKey: number,
  apiVersion: number,
): { correlationId: number; body: T } {
  const codec = knownCodec(apiKey);
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  return { correlationId: header.correlationId, body: codec.decodeResponse(r, apiVersion) as T };
}

function knownCodec(apiKey: number): ApiCodec {
  const codec = apiCodec(apiKey);
  if (codec === undefined) throw new Error(`unknown api key ${apiKey}`);
  return codec;
}

/** A writer with the frame's int32 size slot reserved at position 0. */
function frameWriter(): Writer {
  const w = new Writer(256);
  w.reserveInt32();
  return w;
}

/** Fills in the size slot (the bytes after it) and returns the frame as slices for writev. */
function frameChunks(w: Writer): Buffer[] {
  w.patchInt32(0, w.length - 4);
  return w.toChunks();
}
