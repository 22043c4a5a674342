import { describe, expect, it } from "vitest";
import {
  ApiKey,
  CorruptRecordError,
  readVarint,
  readVarlong,
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
} from "../src/index.js";
import { MinHeap, assert } from "../src/util/index.js";

describe("MinHeap", () => {
  it("pops in comparator order, ties broken by the comparator", () => {
    const items: { at: number; seq: number }[] = [];
    let seed = 7;
    for (let seq = 0; seq < 500; seq++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      items.push({ at: seed % 50, seq });
    }
    const heap = new MinHeap<{ at: number; seq: number }>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
    for (const i of items) heap.push(i);
    expect(heap.size).toBe(500);
    const out: { at: number; seq: number }[] = [];
    for (let i = heap.pop(); i !== undefined; i = heap.pop()) out.push(i);
    const sorted = [...items].sort((a, b) => a.at - b.at || a.seq - b.seq);
    expect(out).toEqual(sorted);
    expect(heap.peek()).toBeUndefined();
  });

  it("retain() drops items and keeps heap order", () => {
    const heap = new MinHeap<number>((a, b) => a < b);
    for (let i = 100; i > 0; i--) heap.push(i);
    heap.retain((n) => n % 3 === 0);
    expect(heap.size).toBe(33);
    const out: number[] = [];
    for (let i = heap.pop(); i !== undefined; i = heap.pop()) out.push(i);
    expect(out).toEqual(Array.from({ length: 33 }, (_, i) => (i + 1) * 3));
    heap.push(5);
    heap.clear();
    expect(heap.size).toBe(0);
  });
});

describe("assert", () => {
  it("throws with the message when the condition is false", () => {
    expect(() => assert(false, "x must be set")).toThrow("assertion failed: x must be set");
    expect(() => assert(1, "fine")).not.toThrow();
  });
});

describe("varint read/write over numbers", () => {
  const next = new Int32Array(1);
  it("round-trips int32 varints and safe-integer varlongs at an offset", () => {
    const buf = Buffer.alloc(32);
    for (const v of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)]) {
      const end = writeVarint(buf, 3, v);
      expect(end - 3).toBe(varintSize(v));
      expect(readVarint(buf, 3, next)).toBe(v);
      expect(next[0]).toBe(end);
    }
    for (const v of [0, -1, 2 ** 40, -(2 ** 40) - 5, Number.MAX_SAFE_INTEGER >> 0, 2 ** 52, -(2 ** 52)]) {
      const end = writeVarlong(buf, 1, v);
      expect(end - 1).toBe(varlongSize(v));
      expect(readVarlong(buf, 1, next)).toBe(v);
      expect(next[0]).toBe(end);
    }
  });

  it("refuses a varint that runs past the buffer or past 5 bytes", () => {
    expect(() => readVarint(Buffer.from([0x80, 0x80]), 0, next)).toThrow(CorruptRecordError);
    expect(() => readVarint(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0, next)).toThrow(CorruptRecordError);
    expect(() => readVarlong(Buffer.alloc(11, 0x80), 0, next)).toThrow(CorruptRecordError);
  });
});

describe("ApiKey", () => {
  it("names Kafka's keys as literals", () => {
    const fetch: 1 = ApiKey.Fetch;
    expect([ApiKey.Produce, fetch, ApiKey.ApiVersions]).toEqual([0, 1, 18]);
  });
});
