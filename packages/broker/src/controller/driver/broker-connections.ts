// Fast fencing of crashed brokers (Gregor-specific, for quick failover): the active controller
// remembers which controller connection each broker registers and heartbeats on. When that
// connection closes and no request from the broker arrives on another one within a short grace,
// the broker is fenced at once instead of after `broker.session.timeout.ms`. A process that dies
// closes its sockets, so this catches crashes; a silent network cut closes nothing and still waits
// for the session timeout (KIP-631's fencing rule is unchanged).

interface Entry {
  connectionId: number;
  graceTimer: NodeJS.Timeout | null;
}

export class BrokerConnections {
  private readonly byBroker = new Map<number, Entry>();
  /** Bound: one entry per broker id seen; brokers are few, but the map is capped anyway. */
  private static readonly MAX_BROKERS = 100_000;

  constructor(
    private readonly graceMs: number,
    private readonly onGone: (brokerId: number) => void,
  ) {}

  /** A registration or heartbeat from `brokerId` arrived on `connectionId`. */
  seen(brokerId: number, connectionId: number, signal: AbortSignal | undefined): void {
    if (this.graceMs <= 0 || signal === undefined || signal.aborted) return;
    const entry = this.byBroker.get(brokerId);
    if (entry !== undefined) {
      if (entry.graceTimer !== null) clearTimeout(entry.graceTimer);
      entry.graceTimer = null;
      if (entry.connectionId === connectionId) return;
    } else if (this.byBroker.size >= BrokerConnections.MAX_BROKERS) {
      return;
    }
    this.byBroker.set(brokerId, { connectionId, graceTimer: null });
    signal.addEventListener("abort", () => this.closed(brokerId, connectionId), { once: true });
  }

  private closed(brokerId: number, connectionId: number): void {
    const entry = this.byBroker.get(brokerId);
    if (entry === undefined || entry.connectionId !== connectionId || entry.graceTimer !== null) return;
    entry.graceTimer = setTimeout(() => {
      if (this.byBroker.get(brokerId) !== entry) return;
      this.byBroker.delete(brokerId);
      this.onGone(brokerId);
    }, this.graceMs);
  }

  /** Forget every broker (this node stopped being the active controller). */
  clear(): void {
    for (const e of this.byBroker.values()) if (e.graceTimer !== null) clearTimeout(e.graceTimer);
    this.byBroker.clear();
  }
}
