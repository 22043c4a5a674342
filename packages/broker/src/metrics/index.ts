// The broker's metrics: BrokerMetrics (counters + latency histograms, owned by BrokerServices),
// the Prometheus rendering (plus consumer-group lag), and the admin HTTP endpoint module.
export { BrokerMetrics } from "./broker-metrics.js";
export { LatencyHistograms, BUCKETS_MS } from "./histogram.js";
export { renderMetrics, apiName, escapeLabel, MAX_LAG_SERIES } from "./render.js";
export { adminHttpModule, startAdminHttp, ADMIN_HTTP_MODULE, type AdminHttp } from "./admin-server.js";
