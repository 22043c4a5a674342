// The idempotent producer and DUPLICATE_SEQUENCE_NUMBER, against a scripted broker: a duplicate is
// only believable for a batch that was sent before. On a first send it means the broker's sequence
// state ran ahead of its log (it accepted a later batch of ours first, as Gregor's broker did for
// pipelined requests that took different paths), and acknowledging it would lose the batch silently.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FrameDecoder, apiCodec, decodeRequestFrame, encodeResponseFrame, type ProduceRequest } from "@gregor/protocol";
import { Producer } from "../src/index.js";

interface Scripted {
  bootstrap: string;
  /** Base sequences of the Produce batches received, in arrival order. */
  sequences: number[];
  close(): Promise<void>;
}

/** A one-broker cluster with topic "t" (one partition) answering Produce with `answer(nth)`. */
async function scriptedBroker(answer: (nth: number) => { errorCode: number; baseOffset: bigint }): Promise<Scripted> {
  const sockets = new Set<Socket>();
  const sequences: number[] = [];
  let port = 0;
  const versions: Record<number, [number, number]> = { 0: [3, 8], 3: [1, 1], 18: [0, 2], 22: [0, 1] };
  const body = (apiKey: number, req: unknown): unknown => {
    switch (apiKey) {
      case 18:
        return {
          errorCode: 0,
          throttleTimeMs: 0,
          apiKeys: Object.entries(versions).map(([k, [min, max]]) => ({
            apiKey: Number(k),
            minVersion: min,
            maxVersion: max,
          })),
        };
      case 3:
        return {
          brokers: [{ nodeId: 0, host: "127.0.0.1", port, rack: null }],
          controllerId: 0,
          topics: [
            {
              errorCode: 0,
              name: "t",
              isInternal: false,
              partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, replicaNodes: [0], isrNodes: [0] }],
            },
          ],
        };
      case 22:
        return { throttleTimeMs: 0, errorCode: 0, producerId: 7n, producerEpoch: 0 };
      default: {
        const records = (req as ProduceRequest).topicData[0]!.partitionData[0]!.records as Buffer;
        sequences.push(records.readInt32BE(53));
        const a = answer(sequences.length);
        return {
          responses: [
            {
              name: "t",
              partitionResponses: [
                {
                  index: 0,
                  errorCode: a.errorCode,
                  baseOffset: a.baseOffset,
                  logAppendTimeMs: -1n,
                  logStartOffset: 0n,
                  recordErrors: [],
                  errorMessage: null,
                },
              ],
            },
          ],
          throttleTimeMs: 0,
        };
      }
    }
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const decoder = new FrameDecoder();
    socket.on("data", (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const { header, body: r } = decodeRequestFrame(frame);
        const apiKey = header.requestApiKey;
        const v = header.requestApiVersion;
        const req = apiCodec(apiKey)!.decodeRequest(r, v);
        for (const b of encodeResponseFrame(apiKey, v, header.correlationId, body(apiKey, req))) socket.write(b);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  return {
    bootstrap: `127.0.0.1:${port}`,
    sequences,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let broker: Scripted | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

const producer = (bootstrap: string): Producer =>
  new Producer({
    bootstrapBrokers: [bootstrap],
    idempotent: true,
    acks: "all",
    lingerMs: 0,
    retry: { retries: 3, initialRetryTimeMs: 10, maxRetryTimeMs: 20 },
  });

describe("idempotent producer: DUPLICATE_SEQUENCE_NUMBER", () => {
  it("rejects the send when a batch's first send is answered as a duplicate (nothing was written)", async () => {
    broker = await scriptedBroker(() => ({ errorCode: 46, baseOffset: -1n }));
    const p = producer(broker.bootstrap);
    try {
      await expect(p.send("t", [{ value: "a", partition: 0 }])).rejects.toThrow(
        /DUPLICATE_SEQUENCE_NUMBER.*first send/,
      );
      expect(broker.sequences).toEqual([0]); // not resent: a resend would be "acknowledged" as a duplicate
    } finally {
      await p.close();
    }
  });

  it("acknowledges a duplicate for a resent batch (an earlier send may have been written)", async () => {
    // 7 = REQUEST_TIMED_OUT: retriable, and the first send may be in the log.
    broker = await scriptedBroker((nth) =>
      nth === 1 ? { errorCode: 7, baseOffset: -1n } : { errorCode: 46, baseOffset: -1n },
    );
    const p = producer(broker.bootstrap);
    try {
      const [r] = await p.send("t", [{ value: "a", partition: 0 }]);
      expect(r).toMatchObject({ topic: "t", partition: 0, offset: -1n });
      expect(broker.sequences).toEqual([0, 0]);
    } finally {
      await p.close();
    }
  });
});
