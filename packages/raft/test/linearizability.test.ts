import { describe, expect, it } from "vitest";
import { checkKey, type HistoryOp } from "./sim/linearizability.js";

function op(kind: HistoryOp["kind"], call: number, ret: number, value: string, output = ""): HistoryOp {
  return { client: 0, call, ret, kind, key: "k", value, output };
}

describe("linearizability checker", () => {
  it("accepts a sequential history", () => {
    expect(
      checkKey([op("put", 0, 1, "a"), op("get", 2, 3, "", "a"), op("append", 4, 5, "b"), op("get", 6, 7, "", "ab")]),
    ).toBe(true);
  });
  it("rejects a stale read after a completed write", () => {
    expect(checkKey([op("put", 0, 1, "a"), op("put", 2, 3, "b"), op("get", 4, 5, "", "a")])).toBe(false);
  });
  it("accepts either order for concurrent writes", () => {
    const h = [op("put", 0, 10, "a"), op("put", 1, 9, "b"), op("get", 11, 12, "", "a")];
    expect(checkKey(h)).toBe(true);
    expect(checkKey([...h.slice(0, 2), op("get", 11, 12, "", "b")])).toBe(true);
  });
  it("lets an unknown-outcome write take effect late or never", () => {
    expect(checkKey([op("put", 0, Infinity, "a"), op("get", 5, 6, "", ""), op("get", 7, 8, "", "a")])).toBe(true);
    expect(checkKey([op("put", 0, Infinity, "a"), op("get", 5, 6, "", "a"), op("get", 7, 8, "", "")])).toBe(false);
  });
  it("rejects a lost append", () => {
    expect(checkKey([op("append", 0, 1, "x"), op("append", 2, 3, "y"), op("get", 4, 5, "", "y")])).toBe(false);
  });
  it("rejects a duplicated append", () => {
    expect(checkKey([op("append", 0, 1, "x"), op("get", 4, 5, "", "xx")])).toBe(false);
  });
});
