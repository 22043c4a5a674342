// Log dir gauges for /metrics: Kafka's OfflineLogDirectoryCount (KIP-112) and, per dir, whether it
// is offline, its available bytes and whether the free-space floor refuses appends (issue 13).
import type { LogDirState } from "../server/log-dirs.js";
import { escapeLabel } from "./render.js";

export function logDirLines(states: readonly LogDirState[]): string[] {
  const offline = states.filter((s) => s.offlineError !== null).length;
  const lines = [
    "# HELP gregor_log_offline_dirs Log dirs offline after a failed write (appends refused, reads served).",
    "# TYPE gregor_log_offline_dirs gauge",
    `gregor_log_offline_dirs ${offline}`,
    "# TYPE gregor_log_dir_offline gauge",
  ];
  for (const s of states)
    lines.push(`gregor_log_dir_offline{dir="${escapeLabel(s.dir)}"} ${s.offlineError === null ? 0 : 1}`);
  lines.push(
    "# HELP gregor_log_dir_free_bytes Bytes available on the log dir's filesystem.",
    "# TYPE gregor_log_dir_free_bytes gauge",
  );
  for (const s of states) {
    if (Number.isFinite(s.freeBytes))
      lines.push(`gregor_log_dir_free_bytes{dir="${escapeLabel(s.dir)}"} ${Math.max(0, s.freeBytes)}`);
  }
  lines.push(
    "# HELP gregor_log_dir_below_min_free 1 while appends are refused for lack of space (gregor.storage.min.free.bytes).",
    "# TYPE gregor_log_dir_below_min_free gauge",
  );
  for (const s of states)
    lines.push(`gregor_log_dir_below_min_free{dir="${escapeLabel(s.dir)}"} ${s.belowMinFree ? 1 : 0}`);
  return lines;
}
