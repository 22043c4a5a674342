// The checker's verdicts on hand-made histories: a clean run, and each kind of error alone.
import { describe, expect, it } from "vitest";
import { type Ack, check, describeErrors, type ReadRecord } from "./checker.js";

const acks: Ack[] = [
  { value: "a", partition: 0, offset: 0 },
  { value: "b", partition: 0, offset: 1 },
  { value: "c", partition: 1, offset: 0 },
];
const clean: ReadRecord[] = acks.map((a) => ({ ...a }));
const attempted = new Set(["a", "b", "c", "d"]);

describe("fault suite checker", () => {
  it("finds nothing wrong in a clean history, and counts an unacknowledged value either way", () => {
    const r = check(attempted, acks, clean);
    expect(r).toMatchObject({ acked: 3, read: 3, lost: 0, duplicated: 0, reordered: 0, unexpected: 0 });
    expect(r.indeterminateMissing).toBe(1);
    expect(describeErrors(r)).toBe("");
    const withD = check(attempted, acks, [...clean, { value: "d", partition: 1, offset: 1 }]);
    expect(withD).toMatchObject({ lost: 0, unexpected: 0, indeterminateRead: 1, indeterminateMissing: 0 });
  });

  it("an acknowledged value missing from the log is lost", () => {
    const r = check(attempted, acks, clean.slice(1));
    expect(r.lost).toBe(1);
    expect(describeErrors(r)).toContain("1 lost (e.g. a@0:0)");
  });

  it("a value read twice is duplicated", () => {
    const r = check(attempted, acks, [...clean, { value: "b", partition: 0, offset: 2 }]);
    expect(r.duplicated).toBe(1);
    expect(r.lost).toBe(0);
  });

  it("a value read at another offset or partition than acknowledged is reordered", () => {
    const swapped = [
      { value: "b", partition: 0, offset: 0 },
      { value: "a", partition: 0, offset: 1 },
      { value: "c", partition: 2, offset: 0 },
    ];
    const r = check(attempted, acks, swapped);
    expect(r.reordered).toBe(3);
    expect(describeErrors(r)).toContain("a: acked at 0@0, read at 0@1");
  });

  it("an acknowledgement without an offset (a duplicate the broker had) is checked for presence only", () => {
    const r = check(attempted, [{ value: "a", partition: 0, offset: -1 }], [{ value: "a", partition: 0, offset: 5 }]);
    expect(r).toMatchObject({ lost: 0, reordered: 0 });
  });

  it("a value never sent is unexpected", () => {
    const r = check(attempted, acks, [...clean, { value: "zz", partition: 0, offset: 2 }]);
    expect(r.unexpected).toBe(1);
    expect(describeErrors(r)).toContain("1 unexpected");
  });
});
