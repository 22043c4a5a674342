import { decodeRecordBatch, type DecodedRecord } from "@gregor/protocol";
import type { RawClient } from "./raw-client.js";

export interface FetchedRecord extends DecodedRecord {
  offset: number;
}

/** Reads a partition from `fromOffset` to its high watermark with Fetch v11 and decodes the records. */
export async function fetchAll(
  c: RawClient,
  topic: string,
  partition: number,
  fromOffset = 0,
): Promise<FetchedRecord[]> {
  const out: FetchedRecord[] = [];
  let offset = fromOffset;
  for (let round = 0; round < 1000; round++) {
    const r = await c.send(1, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: [
            {
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(offset),
              logStartOffset: -1n,
              partitionMaxBytes: 4 << 20,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: "",
    });
    const p = r.responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
    const buf: Buffer = Buffer.isBuffer(p.records) ? p.records : Buffer.concat(p.records ?? []);
    let pos = 0;
    while (buf.length - pos >= 61) {
      const size = 12 + buf.readInt32BE(pos + 8);
      if (pos + size > buf.length) break;
      const b = decodeRecordBatch(buf, pos);
      for (const rec of b.records) {
        const o = Number(b.baseOffset) + rec.offsetDelta;
        if (o >= offset) out.push({ ...rec, offset: o });
      }
      offset = Number(b.baseOffset) + b.lastOffsetDelta + 1;
      pos += size;
    }
    if (BigInt(offset) >= p.highWatermark) return out;
  }
  throw new Error("fetchAll did not reach the high watermark");
}
