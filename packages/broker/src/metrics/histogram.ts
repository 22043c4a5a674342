// Fixed-bucket latency histograms (Prometheus cumulative buckets), one per API key. Bounded:
// 128 API keys x BUCKETS_MS.length counters, allocated once.

/** Upper bounds in milliseconds; the implicit last bucket is +Inf. */
export const BUCKETS_MS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];
const MAX_API_KEY = 128;

export class LatencyHistograms {
  private readonly counts = new Float64Array(MAX_API_KEY * (BUCKETS_MS.length + 1));
  private readonly sums = new Float64Array(MAX_API_KEY);
  private readonly totals = new Float64Array(MAX_API_KEY);

  observe(apiKey: number, elapsedMs: number): void {
    if (apiKey < 0 || apiKey >= MAX_API_KEY || !(elapsedMs >= 0)) return;
    let i = 0;
    while (i < BUCKETS_MS.length && elapsedMs > BUCKETS_MS[i]!) i++;
    this.counts[apiKey * (BUCKETS_MS.length + 1) + i]! += 1;
    this.sums[apiKey]! += elapsedMs;
    this.totals[apiKey]! += 1;
  }

  count(apiKey: number): number {
    return this.totals[apiKey] ?? 0;
  }

  /** Prometheus text for the API keys that saw requests, in seconds (Prometheus' base unit). */
  render(name: string, apiName: (apiKey: number) => string, keys: readonly number[]): string[] {
    const lines = [`# HELP ${name} Request handling latency by API.`, `# TYPE ${name} histogram`];
    for (const k of keys) {
      if (this.totals[k] === 0) continue;
      const api = apiName(k);
      let cumulative = 0;
      for (let i = 0; i <= BUCKETS_MS.length; i++) {
        cumulative += this.counts[k * (BUCKETS_MS.length + 1) + i]!;
        const le = i < BUCKETS_MS.length ? String(BUCKETS_MS[i]! / 1000) : "+Inf";
        lines.push(`${name}_bucket{api="${api}",le="${le}"} ${cumulative}`);
      }
      lines.push(`${name}_sum{api="${api}"} ${(this.sums[k]! / 1000).toFixed(6)}`);
      lines.push(`${name}_count{api="${api}"} ${this.totals[k]}`);
    }
    return lines;
  }
}
