// The README's example: pnpm exec tsx --conditions=source packages/storage/scripts/example.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeRecordBatch, encodeRecordBatch } from "@gregor/protocol";
import { Log } from "@gregor/storage";

const dir = await mkdtemp(join(tmpdir(), "orders-0-"));
let log = await Log.open(dir, { segmentBytes: 64 * 1024 * 1024, flushMessages: 1 });

const batch = encodeRecordBatch({
  records: [{ key: Buffer.from("k"), value: Buffer.from("hello"), timestamp: Date.now() }],
});
const { baseOffset, lastOffset } = await log.append(batch, { leaderEpoch: 0 });
console.log("appended", baseOffset, lastOffset, "logEndOffset", log.logEndOffset);

const { buffers, firstOffset } = await log.read(0, 1024 * 1024); // whole batches, as stored
const decoded = decodeRecordBatch(buffers[0]!);
console.log("read from", firstOffset, "value", Buffer.from(decoded.records[0]!.value!).toString());

await log.close(); // writes indexes, checkpoints and the clean-shutdown marker
log = await Log.open(dir); // clean shutdown: nothing is rescanned
console.log("reopened, logEndOffset", log.logEndOffset);
await log.close();
await rm(dir, { recursive: true });
