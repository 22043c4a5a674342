// Splits a socket byte stream into length-prefixed frames, copying each large frame at most once:
// chunks are collected until the whole frame is there, then concatenated in one go (a 1 MiB
// produce request arriving in 64 KiB reads is not re-copied on every read).
import { FrameTooLargeError } from "@gregor/protocol";

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being collected, -1 until its 4-byte prefix is complete. */
  private needed = -1;

  constructor(readonly maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Returns complete frames (payload only). Throws FrameTooLargeError on a bad size prefix. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let buf = chunk;
    if (this.buffered > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.needed < 0) {
        if (this.buffered < 4) return frames;
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
