import { describe, expect, it } from "vitest";
import { BrokerMetrics } from "./broker-metrics.js";
import { apiName } from "./render.js";

describe("BrokerMetrics", () => {
  it("records counters and latency histograms in one call, with no admin endpoint involved", () => {
    const m = new BrokerMetrics();
    m.record(0, 0.3);
    m.record(0, 7);
    m.record(1, 2000);
    m.record(200, 1); // out of range: ignored
    expect(m.requestsByApi[0]).toBe(2);
    expect(m.latency.count(0)).toBe(2);
    const text = m.toPrometheus(apiName);
    expect(text).toContain('gregor_requests_total{api="Produce"} 2');
    expect(text).toContain('gregor_request_latency_seconds_bucket{api="Produce",le="0.0005"} 1');
    expect(text).toContain('gregor_request_latency_seconds_bucket{api="Produce",le="0.01"} 2');
    expect(text).toContain('gregor_request_latency_seconds_bucket{api="Fetch",le="1"} 0');
    expect(text).toContain('gregor_request_latency_seconds_count{api="Fetch"} 1');
    expect(text).not.toContain("api_200");
  });
});
