import { describe, expect, it } from "vitest";
import { AppendWaiters, type FetchWaiter } from "./append-waiters.js";

function waiter(
  w: AppendWaiters,
  topic: string,
  partition: number,
  neededBytes: number,
  connectionId: number,
): { waiter: FetchWaiter; completions: () => number } {
  let n = 0;
  const waiter: FetchWaiter = { keys: [w.keyOf(topic, partition)], neededBytes, connectionId, complete: () => n++ };
  return { waiter, completions: () => n };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("AppendWaiters", () => {
  it("completes a waiter once enough bytes were appended to its partition, once", () => {
    const w = new AppendWaiters(10);
    const a = waiter(w, "t", 0, 100, 1);
    expect(w.add(a.waiter, 60_000)).toBe(true);
    w.notify("t", 1, 500); // another partition
    w.notify("u", 0, 500); // another topic
    w.notify("t", 0, 60);
    expect(a.completions()).toBe(0);
    w.notify("t", 0, 40);
    expect(a.completions()).toBe(1);
    expect(w.size).toBe(0);
    w.notify("t", 0, 100);
    expect(a.completions()).toBe(1);
  });

  it("completes waiters at their deadlines, earliest first, with one timer for all", async () => {
    const w = new AppendWaiters(100);
    const order: string[] = [];
    const add = (name: string, ms: number): void => {
      w.add({ keys: [w.keyOf("t", 0)], neededBytes: 1e9, connectionId: 1, complete: () => order.push(name) }, ms);
    };
    add("late", 120);
    add("early", 30);
    add("mid", 70);
    const done = waiter(w, "t", 1, 1, 1);
    w.add(done.waiter, 50);
    w.notify("t", 1, 1); // completed early: its deadline later fires nothing
    await sleep(10);
    expect(order).toEqual([]);
    await sleep(50);
    expect(order).toEqual(["early"]);
    await sleep(100);
    expect(order).toEqual(["early", "mid", "late"]);
    expect(done.completions()).toBe(1);
    expect(w.size).toBe(0);
  });

  it("never completes a waiter before its deadline, and keeps the heap bounded under early completions", async () => {
    let now = 0;
    const w = new AppendWaiters(1_000_000, () => now);
    const long = waiter(w, "x", 0, 1e9, 1);
    w.add(long.waiter, 300_000);
    for (let i = 0; i < 10_000; i++) {
      const a = waiter(w, "t", 0, 1, 2);
      w.add(a.waiter, 500);
      w.notify("t", 0, 1);
      expect(a.completions()).toBe(1);
    }
    // Compaction keeps the stale deadlines of early completions bounded.
    expect((w as unknown as { heap: { size: number } }).heap.size).toBeLessThan(2 * w.size + 1100);
    now = 299_999;
    (w as unknown as { onTimer: () => void }).onTimer();
    expect(long.completions()).toBe(0);
    now = 300_000;
    (w as unknown as { onTimer: () => void }).onTimer();
    expect(long.completions()).toBe(1);
    w.completeAll();
  });

  it("completes only the closed connection's waiters", () => {
    const w = new AppendWaiters(10);
    const a = waiter(w, "t", 0, 1, 1);
    const b = waiter(w, "t", 0, 1, 2);
    w.add(a.waiter, 60_000);
    w.add(b.waiter, 60_000);
    w.completeConnection(1);
    expect([a.completions(), b.completions()]).toEqual([1, 0]);
    expect(w.size).toBe(1);
    w.notify("t", 0, 1);
    expect([a.completions(), b.completions()]).toEqual([1, 1]);
  });

  it("is bounded and interns keys equal to AppendWaiters.key", () => {
    const w = new AppendWaiters(1);
    expect(w.add(waiter(w, "t", 0, 1, 1).waiter, 1000)).toBe(true);
    expect(w.add(waiter(w, "t", 0, 1, 1).waiter, 1000)).toBe(false);
    expect(w.keyOf("t", 3)).toBe(AppendWaiters.key("t", 3));
    expect(w.keyOf("t", -1)).toBe(AppendWaiters.key("t", -1));
    w.completeAll();
  });
});
