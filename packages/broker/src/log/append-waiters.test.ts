import { describe, expect, it } from "vitest";
import { AppendWaiters, type FetchWaiter } from "./append-waiters.js";

function waiter(w: AppendWaiters, topic: string, partition: number, neededBytes: number, connectionId: number): { waiter: FetchWaiter; completions: () => number } {
  let n = 0;
  const waiter: FetchWaiter = { keys: [w.keyOf(topic, partition)], neededBytes, connectionId, timer: undefined, complete: () => n++ };
  return { waiter, completions: () => n };
}

describe("AppendWaiters", () => {
  it("completes a waiter once enough bytes were appended to its partition, and clears its timer", () => {
    const w = new AppendWaiters(10);
    const a = waiter(w, "t", 0, 100, 1);
    let fired = false;
    a.waiter.timer = setTimeout(() => (fired = true), 60_000);
    expect(w.add(a.waiter)).toBe(true);
    w.notify("t", 1, 500); // another partition
    w.notify("u", 0, 500); // another topic
    w.notify("t", 0, 60);
    expect(a.completions()).toBe(0);
    w.notify("t", 0, 40);
    expect(a.completions()).toBe(1);
    expect(a.waiter.timer).toBeUndefined();
    expect(w.size).toBe(0);
    w.notify("t", 0, 100);
    expect(a.completions()).toBe(1);
    expect(fired).toBe(false);
  });

  it("completes only the closed connection's waiters", () => {
    const w = new AppendWaiters(10);
    const a = waiter(w, "t", 0, 1, 1);
    const b = waiter(w, "t", 0, 1, 2);
    w.add(a.waiter);
    w.add(b.waiter);
    w.completeConnection(1);
    expect([a.completions(), b.completions()]).toEqual([1, 0]);
    expect(w.size).toBe(1);
    w.notify("t", 0, 1);
    expect([a.completions(), b.completions()]).toEqual([1, 1]);
  });

  it("is bounded and interns keys equal to AppendWaiters.key", () => {
    const w = new AppendWaiters(1);
    expect(w.add(waiter(w, "t", 0, 1, 1).waiter)).toBe(true);
    expect(w.add(waiter(w, "t", 0, 1, 1).waiter)).toBe(false);
    expect(w.keyOf("t", 3)).toBe(AppendWaiters.key("t", 3));
    expect(w.keyOf("t", -1)).toBe(AppendWaiters.key("t", -1));
  });
});
