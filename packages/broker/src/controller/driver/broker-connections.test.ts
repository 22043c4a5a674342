import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BrokerConnections } from "./broker-connections.js";

describe("BrokerConnections (fast fencing)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports a broker whose connection closed and did not come back within the grace", () => {
    const gone: number[] = [];
    const conns = new BrokerConnections(500, (id) => gone.push(id));
    const c1 = new AbortController();
    conns.seen(1, 10, c1.signal);
    c1.abort();
    vi.advanceTimersByTime(499);
    expect(gone).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(gone).toEqual([1]);
  });

  it("a request on a new connection within the grace keeps the broker", () => {
    const gone: number[] = [];
    const conns = new BrokerConnections(500, (id) => gone.push(id));
    const c1 = new AbortController();
    const c2 = new AbortController();
    conns.seen(1, 10, c1.signal);
    c1.abort();
    vi.advanceTimersByTime(200);
    conns.seen(1, 11, c2.signal);
    vi.advanceTimersByTime(1000);
    expect(gone).toEqual([]);
    c2.abort();
    vi.advanceTimersByTime(500);
    expect(gone).toEqual([1]);
  });

  it("an old connection closing after the broker moved to a new one is ignored; clear() forgets all", () => {
    const gone: number[] = [];
    const conns = new BrokerConnections(100, (id) => gone.push(id));
    const old = new AbortController();
    const current = new AbortController();
    conns.seen(2, 1, old.signal);
    conns.seen(2, 2, current.signal);
    old.abort();
    vi.advanceTimersByTime(1000);
    expect(gone).toEqual([]);
    current.abort();
    conns.clear();
    vi.advanceTimersByTime(1000);
    expect(gone).toEqual([]);
  });

  it("grace 0 turns fast fencing off", () => {
    const gone: number[] = [];
    const conns = new BrokerConnections(0, (id) => gone.push(id));
    const c = new AbortController();
    conns.seen(3, 1, c.signal);
    c.abort();
    vi.advanceTimersByTime(10_000);
    expect(gone).toEqual([]);
  });
});
