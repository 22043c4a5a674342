// A minimal Kafka wire client for tests: sends frames built by @gregor/protocol and matches
// responses by correlation id. Lets tests send malformed bytes too.
import { connect, type Socket } from "node:net";
import { decodeResponseFrame, encodeRequestFrame, FrameDecoder } from "@gregor/protocol";
import { within } from "@gregor/testkit";

export class RawClient {
  private readonly decoder = new FrameDecoder(256 * 1024 * 1024);
  private readonly waiting = new Map<
    number,
    { apiKey: number; apiVersion: number; resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private nextCorrelationId = 1;
  readonly frames: Buffer[] = [];
  closed = false;
  private closeWaiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const correlationId = frame.readInt32BE(0);
        const w = this.waiting.get(correlationId);
        if (w === undefined) {
          this.frames.push(frame);
          continue;
        }
        this.waiting.delete(correlationId);
        try {
          w.resolve(decodeResponseFrame(frame, w.apiKey, w.apiVersion).body);
        } catch (e) {
          w.reject(e as Error);
        }
      }
    });
    const onClose = (): void => {
      this.closed = true;
      for (const w of this.waiting.values()) w.reject(new Error("connection closed"));
      this.waiting.clear();
      for (const f of this.closeWaiters) f();
    };
    socket.on("close", onClose);
    socket.on("error", () => {});
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  /**
   * Sends a request and resolves with the decoded response body; a response that does not come
   * within timeoutMs fails the test naming the request, instead of hanging it into vitest's timeout.
   */
  send<T = any>(apiKey: number, apiVersion: number, body: unknown, timeoutMs = 10_000): Promise<T> {
    const correlationId = this.nextCorrelationId++;
    const p = new Promise<T>((resolve, reject) =>
      this.waiting.set(correlationId, { apiKey, apiVersion, resolve: resolve as (v: unknown) => void, reject }),
    );
    this.socket.write(Buffer.concat(encodeRequestFrame(apiKey, apiVersion, correlationId, "raw-test", body)));
    return within(p, {
      what: `the response to api key ${apiKey} v${apiVersion} (correlation id ${correlationId})`,
      timeoutMs,
    });
  }

  /** Sends a request that gets no response (Produce acks=0). */
  sendNoResponse(apiKey: number, apiVersion: number, body: unknown): number {
    const correlationId = this.nextCorrelationId++;
    this.socket.write(Buffer.concat(encodeRequestFrame(apiKey, apiVersion, correlationId, "raw-test", body)));
    return correlationId;
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when the broker closes the connection (rejects after timeoutMs). */
  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("connection still open")), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request frame (size prefix included) for arbitrary header fields and body bytes. */
export function rawFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(-1, 8); // null client id
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
}
