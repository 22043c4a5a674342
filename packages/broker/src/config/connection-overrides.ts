// max.connections.per.ip.overrides: `host:count,ip:count` (Kafka's format; a host name or address,
// then its own limit in place of max.connections.per.ip).

/** The overrides by host, or null when the value is malformed. */
export function parseConnectionOverrides(s: string): Map<string, number> | null {
  const out = new Map<string, number>();
  for (const part of s.split(",").map((p) => p.trim())) {
    if (part === "") continue;
    const colon = part.lastIndexOf(":");
    if (colon <= 0) return null;
    const host = part.slice(0, colon).trim();
    const count = Number(part.slice(colon + 1).trim());
    if (host === "" || !Number.isInteger(count) || count < 0) return null;
    out.set(host, count);
  }
  return out;
}
