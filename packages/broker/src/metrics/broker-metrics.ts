// BrokerMetrics: the broker's counters and per-API latency histograms, updated on the request path
// (one call per request: record()) and rendered as Prometheus text by the admin endpoint.
// Bounded: fixed arrays, one slot per API key (0..127).
import { LatencyHistograms } from "./histogram.js";

const MAX_API_KEY = 128;

export class BrokerMetrics {
  readonly requestsByApi = new Float64Array(MAX_API_KEY);
  readonly requestTimeMsByApi = new Float64Array(MAX_API_KEY);
  readonly errorsByApi = new Float64Array(MAX_API_KEY);
  /** Request handling time (decode done -> response encoded), per API. */
  readonly latency = new LatencyHistograms();
  bytesIn = 0;
  bytesOut = 0;
  connectionsOpened = 0;
  connectionsClosed = 0;
  recordsProduced = 0;
  /** Segments deleted by retention, log cleaner passes and the bytes they removed. */
  retentionSegmentsDeleted = 0;
  cleanerRuns = 0;
  cleanerBytesRemoved = 0;
  /** Partitions led here whose ISR is short (Kafka's UnderReplicatedPartitions etc.); set by the broker. */
  partitionCounts: (() => { underReplicated: number; underMinIsr: number; atMinIsr: number }) | null = null;

  get activeConnections(): number {
    return this.connectionsOpened - this.connectionsClosed;
  }

  /** Counts one handled request of `apiKey` that took `elapsedMs`. */
  record(apiKey: number, elapsedMs: number): void {
    if (apiKey < 0 || apiKey >= MAX_API_KEY) return;
    this.requestsByApi[apiKey]! += 1;
    this.requestTimeMsByApi[apiKey]! += elapsedMs;
    this.latency.observe(apiKey, elapsedMs);
  }

  /** Prometheus text exposition of the counters and latency histograms. */
  toPrometheus(apiName: (apiKey: number) => string): string {
    const lines: string[] = [];
    const seen: number[] = [];
    for (let k = 0; k < MAX_API_KEY; k++) if (this.requestsByApi[k]! > 0) seen.push(k);
    lines.push("# HELP gregor_requests_total Requests handled, by API.", "# TYPE gregor_requests_total counter");
    for (const k of seen) lines.push(`gregor_requests_total{api="${apiName(k)}"} ${this.requestsByApi[k]}`);
    lines.push(
      "# HELP gregor_request_errors_total Requests whose handler failed, by API.",
      "# TYPE gregor_request_errors_total counter",
    );
    for (const k of seen)
      if (this.errorsByApi[k]! > 0)
        lines.push(`gregor_request_errors_total{api="${apiName(k)}"} ${this.errorsByApi[k]}`);
    lines.push("# TYPE gregor_request_time_ms_total counter");
    for (const k of seen)
      lines.push(`gregor_request_time_ms_total{api="${apiName(k)}"} ${this.requestTimeMsByApi[k]!.toFixed(3)}`);
    lines.push(...this.latency.render("gregor_request_latency_seconds", apiName, seen));
    lines.push("# TYPE gregor_bytes_in_total counter", `gregor_bytes_in_total ${this.bytesIn}`);
    lines.push("# TYPE gregor_bytes_out_total counter", `gregor_bytes_out_total ${this.bytesOut}`);
    lines.push("# TYPE gregor_connections gauge", `gregor_connections ${this.activeConnections}`);
    lines.push(
      "# TYPE gregor_connections_opened_total counter",
      `gregor_connections_opened_total ${this.connectionsOpened}`,
    );
    lines.push("# TYPE gregor_records_produced_total counter", `gregor_records_produced_total ${this.recordsProduced}`);
    lines.push(
      "# TYPE gregor_log_retention_segments_deleted_total counter",
      `gregor_log_retention_segments_deleted_total ${this.retentionSegmentsDeleted}`,
    );
    lines.push("# TYPE gregor_log_cleaner_runs_total counter", `gregor_log_cleaner_runs_total ${this.cleanerRuns}`);
    lines.push(
      "# TYPE gregor_log_cleaner_bytes_removed_total counter",
      `gregor_log_cleaner_bytes_removed_total ${this.cleanerBytesRemoved}`,
    );
    const counts = this.partitionCounts?.();
    if (counts !== undefined) {
      lines.push(
        "# TYPE gregor_under_replicated_partitions gauge",
        `gregor_under_replicated_partitions ${counts.underReplicated}`,
        "# TYPE gregor_under_min_isr_partitions gauge",
        `gregor_under_min_isr_partitions ${counts.underMinIsr}`,
        "# TYPE gregor_at_min_isr_partitions gauge",
        `gregor_at_min_isr_partitions ${counts.atMinIsr}`,
      );
    }
    return lines.join("\n") + "\n";
  }
}
