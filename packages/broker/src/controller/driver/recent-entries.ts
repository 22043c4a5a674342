// The controller's ring of recent committed metadata entries (served to observers by metadata-fetch).
/** The most recent committed entries, bounded in count and bytes. */
export class RecentEntries {
  private entries: { index: number; data: Uint8Array }[] = [];
  private bytes = 0;

  constructor(
    private readonly maxEntries = 4096,
    private readonly maxBytes = 64 << 20,
  ) {}

  push(index: number, data: Uint8Array): void {
    this.entries.push({ index, data });
    this.bytes += data.length;
    let drop = 0;
    while (
      this.entries.length - drop > 1 &&
      (this.entries.length - drop > this.maxEntries || this.bytes > this.maxBytes)
    ) {
      this.bytes -= this.entries[drop]!.data.length;
      drop++;
    }
    if (drop > 0) this.entries = this.entries.slice(drop);
  }

  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }

  /**
   * Entries with index >= `from`, up to `maxBytes` (at least one); null when the ring no longer
   * holds every entry since `from` (the caller needs a snapshot).
   */
  since(from: number, lastApplied: number, maxBytes: number): { index: number; data: Uint8Array }[] | null {
    const first = this.entries[0];
    if (from > lastApplied) return [];
    if (first === undefined || first.index > from) return null;
    const out: { index: number; data: Uint8Array }[] = [];
    let size = 0;
    for (const e of this.entries) {
      if (e.index < from) continue;
      if (out.length > 0 && size + e.data.length > maxBytes) break;
      out.push(e);
      size += e.data.length;
    }
    return out;
  }
}
