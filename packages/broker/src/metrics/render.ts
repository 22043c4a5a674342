// Prometheus text exposition (format 0.0.4) of the broker's metrics: BrokerMetrics (counters and
// request latency histograms), and consumer-group lag computed from committed offsets and each
// partition's high watermark (no separate exporter needed).
import { ApiKey } from "@gregor/protocol";
import type { GroupCoordinator } from "../group/driver/coordinator.js";
import { LOG_DIRS_MODULE, type LogDirs } from "../server/log-dirs.js";
import type { BrokerServices } from "../services.js";
import { logDirLines } from "./log-dir-metrics.js";

const API_NAMES = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]));

export function apiName(apiKey: number): string {
  return API_NAMES.get(apiKey) ?? `api_${apiKey}`;
}

/** Label value escaping per the exposition format: backslash, double quote and newline. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Bound on lag series rendered per scrape (a broker with millions of committed partitions). */
export const MAX_LAG_SERIES = 100_000;

/** Everything /metrics shows: the broker's counters and latency histograms, then consumer-group lag. */
export function renderMetrics(services: BrokerServices, groups: GroupCoordinator | undefined): string {
  const lines: string[] = [services.metrics.toPrometheus(apiName).trimEnd()];
  if (groups !== undefined) {
    lines.push("# HELP gregor_consumer_groups Consumer groups by state.", "# TYPE gregor_consumer_groups gauge");
    for (const [state, n] of groups.groupStates()) lines.push(`gregor_consumer_groups{state="${state}"} ${n}`);
    const lag = groups.lag();
    lines.push(
      "# HELP gregor_consumer_group_lag Records between the committed offset and the high watermark.",
      "# TYPE gregor_consumer_group_lag gauge",
    );
    const offsetLines = [
      "# HELP gregor_consumer_group_committed_offset Last committed offset.",
      "# TYPE gregor_consumer_group_committed_offset gauge",
    ];
    const totals = new Map<string, number>();
    for (const l of lag.slice(0, MAX_LAG_SERIES)) {
      const labels = `group="${escapeLabel(l.groupId)}",topic="${escapeLabel(l.topic)}",partition="${l.partition}"`;
      lines.push(`gregor_consumer_group_lag{${labels}} ${l.lag}`);
      offsetLines.push(`gregor_consumer_group_committed_offset{${labels}} ${l.committedOffset}`);
      if (l.lag >= 0) {
        const k = `group="${escapeLabel(l.groupId)}",topic="${escapeLabel(l.topic)}"`;
        totals.set(k, (totals.get(k) ?? 0) + l.lag);
      }
    }
    lines.push(...offsetLines);
    lines.push(
      "# HELP gregor_consumer_group_lag_sum Lag summed over a topic's partitions.",
      "# TYPE gregor_consumer_group_lag_sum gauge",
    );
    for (const [k, v] of totals) lines.push(`gregor_consumer_group_lag_sum{${k}} ${v}`);
  }
  if (services.hasModule(LOG_DIRS_MODULE))
    lines.push(...logDirLines(services.module<LogDirs>(LOG_DIRS_MODULE).states()));
  return lines.join("\n") + "\n";
}
