// Fails when fast-crc32c fell back to its pure-JS table implementation: the loader tries the
// sse4_crc32 native addon first and silently falls back, so a broken native build would otherwise
// give every produce and fetch a CRC far slower than the SSE4.2 path in bench/RESULTS.md, unnoticed.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { computeBatchCrc, encodeRecordBatch } from "./index.js";

const require = createRequire(import.meta.url);

describe("CRC-32C", () => {
  it("uses the sse4_crc32 native addon with SSE 4.2 hardware support", () => {
    const fast = require("fast-crc32c") as { calculate: unknown };
    const nativePath = require.resolve("sse4_crc32", { paths: [require.resolve("fast-crc32c")] });
    const native = require(nativePath) as { calculate: unknown; hardware_support: boolean };
    expect(native.hardware_support).toBe(true);
    expect(fast.calculate).toBe(native.calculate);
  });

  it("computes the standard check value", () => {
    const fast = require("fast-crc32c") as { calculate(b: Buffer | string): number };
    expect(fast.calculate(Buffer.from("123456789")) >>> 0).toBe(0xe3069283);
  });

  it("covers attributes through the end of the batch", () => {
    const buf = encodeRecordBatch({ records: [{ value: Buffer.from("x"), timestamp: 0 }] });
    const fast = require("fast-crc32c") as { calculate(b: Buffer): number };
    expect(computeBatchCrc(buf)).toBe(fast.calculate(buf.subarray(21)) >>> 0);
  });
});
