// Plain counters the admin endpoint renders as Prometheus text. Bounded: one slot per API key.

export class BrokerMetrics {
  readonly requestsByApi = new Float64Array(128);
  readonly requestTimeMsByApi = new Float64Array(128);
  readonly errorsByApi = new Float64Array(128);
  bytesIn = 0;
  bytesOut = 0;
  connectionsOpened = 0;
  connectionsClosed = 0;
  recordsProduced = 0;

  get activeConnections(): number {
    return this.connectionsOpened - this.connectionsClosed;
  }

  record(apiKey: number, elapsedMs: number): void {
    if (apiKey < 0 || apiKey >= 128) return;
    this.requestsByApi[apiKey]! += 1;
    this.requestTimeMsByApi[apiKey]! += elapsedMs;
  }

  /** Prometheus text exposition of the counters. */
  toPrometheus(apiName: (apiKey: number) => string): string {
    const lines: string[] = [];
    lines.push("# TYPE gregor_requests_total counter");
    for (let k = 0; k < 128; k++) if (this.requestsByApi[k]! > 0) lines.push(`gregor_requests_total{api="${apiName(k)}"} ${this.requestsByApi[k]}`);
    lines.push("# TYPE gregor_request_time_ms_total counter");
    for (let k = 0; k < 128; k++) if (this.requestsByApi[k]! > 0) lines.push(`gregor_request_time_ms_total{api="${apiName(k)}"} ${this.requestTimeMsByApi[k]!.toFixed(3)}`);
    lines.push("# TYPE gregor_bytes_in_total counter", `gregor_bytes_in_total ${this.bytesIn}`);
    lines.push("# TYPE gregor_bytes_out_total counter", `gregor_bytes_out_total ${this.bytesOut}`);
    lines.push("# TYPE gregor_connections gauge", `gregor_connections ${this.activeConnections}`);
    lines.push("# TYPE gregor_records_produced_total counter", `gregor_records_produced_total ${this.recordsProduced}`);
    return lines.join("\n") + "\n";
  }
}
