// Broker sessions on the active controller (Kafka's BrokerHeartbeatManager): soft state, never in
// the log. A session is alive until broker.session.timeout.ms after the broker's last heartbeat or
// registration. A new active controller knows no heartbeats yet, so activate() gives every
// registered broker a full session before any is fenced (Kafka does the same on activation).
import type { MetadataImage } from "./image.js";

export class BrokerHeartbeatManager {
  /** brokerId -> session deadline (ms). Bounded by the registered brokers: pruned on every scan. */
  private readonly deadlines = new Map<number, number>();

  constructor(private readonly sessionTimeoutMs: number) {}

  touch(brokerId: number, nowMs: number): void {
    this.deadlines.set(brokerId, nowMs + this.sessionTimeoutMs);
  }

  activate(image: MetadataImage, nowMs: number): void {
    this.deadlines.clear();
    for (const brokerId of image.brokers.keys()) this.touch(brokerId, nowMs);
  }

  /** True while the broker's session has not expired. */
  hasValidSession(brokerId: number, nowMs: number): boolean {
    const deadline = this.deadlines.get(brokerId);
    return deadline !== undefined && nowMs < deadline;
  }

  /**
   * The unfenced broker whose session expired first, if any (Kafka's findOneStaleBroker). A broker
   * the manager has never seen gets a fresh session now instead of being fenced unheard.
   */
  findOneStaleBroker(image: MetadataImage, nowMs: number): number | undefined {
    let stale: number | undefined;
    let staleDeadline = Number.POSITIVE_INFINITY;
    for (const id of this.deadlines.keys()) if (!image.brokers.has(id)) this.deadlines.delete(id);
    for (const broker of image.brokers.values()) {
      if (broker.fenced) continue;
      const deadline = this.deadlines.get(broker.brokerId);
      if (deadline === undefined) {
        this.touch(broker.brokerId, nowMs);
        continue;
      }
      if (deadline <= nowMs && deadline < staleDeadline) {
        stale = broker.brokerId;
        staleDeadline = deadline;
      }
    }
    return stale;
  }
}
