// Record-batch build/parse for 100-byte records, codecs, CRC-32C throughput, and a Produce request
// carrying a 1 MiB batch through the generated codec (decode + encode, records untouched).
//   pnpm exec tsx --conditions=source packages/protocol/bench/records.bench.ts
import { createRequire } from "node:module";
import { Bench } from "tinybench";
import {
  CompressionCodec,
  apiCodec,
  decodeRecordBatch,
  decodeRecordBatchAsync,
  decodeRequestFrame,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  encodeRequestFrame,
  isBatchCrcValid,
  iterateBatches,
  type RecordInput,
} from "../src/index.js";

const require = createRequire(import.meta.url);
const crc32c = require("fast-crc32c") as { calculate(b: Buffer): number };

const RECORDS_PER_BATCH = 1000;
const value = Buffer.alloc(100);
for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff; // not trivially compressible
const text = Buffer.from('{"user":"u-000123","event":"click","page":"/home","ts":1700000000}'.padEnd(100, " "));
const T0 = 1_700_000_000_000;
const records: RecordInput[] = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
  key: null,
  value,
  timestamp: T0 + i,
}));
const textRecords: RecordInput[] = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
  key: null,
  value: text,
  timestamp: T0 + i,
}));
const plain = encodeRecordBatch({ records });
const compressed = {
  gzip: encodeRecordBatch({ records: textRecords, compression: CompressionCodec.Gzip }),
  snappy: encodeRecordBatch({ records: textRecords, compression: CompressionCodec.Snappy }),
  lz4: encodeRecordBatch({ records: textRecords, compression: CompressionCodec.Lz4 }),
  zstd: await encodeRecordBatchAsync({ records: textRecords, compression: CompressionCodec.Zstd }),
};

// A 1 MiB Produce request: ~1 MiB of batches for one partition.
const oneMiB: Buffer[] = [];
let total = 0;
for (let base = 0n; total < 1 << 20; base += 1000n) {
  const b = encodeRecordBatch({ baseOffset: base, records });
  oneMiB.push(b);
  total += b.length;
}
const batchBytes = Buffer.concat(oneMiB);
const produce = {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30_000,
  topicData: [{ name: "t1", partitionData: [{ index: 0, records: batchBytes }] }],
};
const PRODUCE_VERSION = 9;
const produceFrame = Buffer.concat(encodeRequestFrame(0, PRODUCE_VERSION, 1, "bench", produce)).subarray(4);
const produceCodec = apiCodec(0)!;
const big = Buffer.alloc(64 << 20, 0x5a);

const bench = new Bench({ time: 1500, warmup: true });
bench
  .add("encode batch, 1000 x 100 B, none", () => void encodeRecordBatch({ records }))
  .add("decode batch, 1000 x 100 B, none", () => void decodeRecordBatch(plain))
  .add(
    "encode batch, 1000 x 100 B, lz4",
    () => void encodeRecordBatch({ records: textRecords, compression: CompressionCodec.Lz4 }),
  )
  .add(
    "encode batch, 1000 x 100 B, snappy",
    () => void encodeRecordBatch({ records: textRecords, compression: CompressionCodec.Snappy }),
  )
  .add(
    "encode batch, 1000 x 100 B, gzip",
    () => void encodeRecordBatch({ records: textRecords, compression: CompressionCodec.Gzip }),
  )
  .add(
    "encode batch, 1000 x 100 B, zstd",
    async () => void (await encodeRecordBatchAsync({ records: textRecords, compression: CompressionCodec.Zstd })),
  )
  .add("decode batch, 1000 x 100 B, lz4", () => void decodeRecordBatch(compressed.lz4))
  .add("decode batch, 1000 x 100 B, snappy", () => void decodeRecordBatch(compressed.snappy))
  .add("decode batch, 1000 x 100 B, gzip", () => void decodeRecordBatch(compressed.gzip))
  .add("decode batch, 1000 x 100 B, zstd", async () => void (await decodeRecordBatchAsync(compressed.zstd)))
  .add("iterate batch headers, 1 MiB", () => {
    let n = 0;
    for (const b of iterateBatches(batchBytes)) n += b.header.recordsCount;
    if (n === 0) throw new Error("no batches");
  })
  .add("crc32c, 64 MiB", () => void crc32c.calculate(big))
  .add("produce v9 request with 1 MiB of batches: decode + encode", () => {
    const { header, body } = decodeRequestFrame(produceFrame);
    const msg = produceCodec.decodeRequest(body, PRODUCE_VERSION);
    encodeRequestFrame(0, PRODUCE_VERSION, header.correlationId, header.clientId ?? null, msg);
  })
  // The same, plus CRC validation of every batch (what a broker does on append) and copying the
  // re-encoded frame into one contiguous Buffer: an upper bound on real work per request byte.
  .add("produce v9 request with 1 MiB of batches: decode + CRC check + encode + copy", () => {
    const { header, body } = decodeRequestFrame(produceFrame);
    const msg = produceCodec.decodeRequest(body, PRODUCE_VERSION);
    const records = msg.topicData[0].partitionData[0].records as Buffer;
    for (const b of iterateBatches(records)) if (!isBatchCrcValid(b.bytes)) throw new Error("bad crc");
    Buffer.concat(encodeRequestFrame(0, PRODUCE_VERSION, header.correlationId, header.clientId ?? null, msg));
  });

await bench.run();

const recordsPerOp: Record<string, number> = {};
const bytesPerOp: Record<string, number> = {
  "crc32c, 64 MiB": big.length,
  "produce v9 request with 1 MiB of batches: decode + encode": produceFrame.length,
  "produce v9 request with 1 MiB of batches: decode + CRC check + encode + copy": produceFrame.length,
  "iterate batch headers, 1 MiB": batchBytes.length,
};
for (const t of bench.tasks) if (t.name.includes("1000 x 100 B")) recordsPerOp[t.name] = RECORDS_PER_BATCH;

console.log(`node ${process.version}, ${new Date().toISOString()}`);
for (const t of bench.tasks) {
  const r = t.result as { throughput?: { mean: number }; latency?: { mean: number } } | undefined;
  const opsPerSec = r?.throughput?.mean ?? 0;
  const extra =
    recordsPerOp[t.name] !== undefined
      ? `${((opsPerSec * recordsPerOp[t.name]!) / 1e6).toFixed(2)} M records/s`
      : bytesPerOp[t.name] !== undefined
        ? `${((opsPerSec * bytesPerOp[t.name]!) / 1e9).toFixed(2)} GB/s`
        : "";
  console.log(`${t.name.padEnd(62)} ${opsPerSec.toFixed(0).padStart(9)} ops/s  ${extra}`);
}
