// BrokerLifecycleManager (Kafka's kafka.server.BrokerLifecycleManager, KIP-631): registers this
// broker with the active controller (a fresh incarnation id per process start), heartbeats every
// `broker.heartbeat.interval.ms` reporting the metadata offset this node has applied, learns
// whether it is fenced, and on shutdown asks for a controlled shutdown and waits (bounded) until
// the controller says it may go. While fenced or shutting down it heartbeats faster, as Kafka
// does during its initial catch-up, so unfencing and shutdown do not wait a whole interval.
import { randomUUID } from "node:crypto";
import {
  ErrorCode,
  type BrokerHeartbeatRequest,
  type BrokerHeartbeatResponse,
  type BrokerRegistrationRequest,
  type BrokerRegistrationResponse,
} from "@gregor/protocol";
import type { Logger } from "pino";
import type { Listener } from "../config/broker-config.js";
import { BOOTSTRAP_FEATURES } from "../controller/driver/quorum-runtime.js";
import { StorageError } from "../metadata/meta-properties.js";
import type { ControllerChannel } from "./controller-channel.js";

const BROKER_REGISTRATION = 62;
const BROKER_HEARTBEAT = 63;
/** Heartbeat period while fenced or shutting down. */
const FAST_HEARTBEAT_MS = 50;

/** The feature levels this build supports (KIP-584): the levels the controller bootstraps. */
const SUPPORTED_FEATURES = [...BOOTSTRAP_FEATURES].map(([name, level]) => ({
  name,
  minSupportedVersion: level,
  maxSupportedVersion: level,
}));

/** Kafka's BrokerState names for the states this manager moves through. */
export type BrokerState = "STARTING" | "RECOVERY" | "RUNNING" | "PENDING_CONTROLLED_SHUTDOWN" | "SHUTTING_DOWN";

export interface BrokerLifecycleOptions {
  channel: ControllerChannel;
  brokerId: number;
  clusterId: string;
  listeners: readonly Listener[];
  rack: string | null;
  heartbeatIntervalMs: number;
  /** The metadata log offset this node has applied (its raft applied index). */
  metadataOffset: () => number;
  /** This process's incarnation (default: a fresh uuid). */
  incarnationId?: string;
  /** Features this broker supports, sent at registration (KIP-584). */
  features?: BrokerRegistrationRequest["features"];
  logger: Logger;
}

export class BrokerLifecycleManager {
  readonly incarnationId: string;
  brokerEpoch = -1n;
  state: BrokerState = "STARTING";
  isFenced = true;
  private wantShutDown = false;
  private shouldShutDown = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly waiters = new Set<() => void>();
  /** The controller refused this broker for good (another cluster's dirs): start-up fails with it. */
  private refused: StorageError | null = null;

  constructor(private readonly options: BrokerLifecycleOptions) {
    this.incarnationId = options.incarnationId ?? randomUUID();
  }

  start(): void {
    if (this.loop !== null) return;
    this.loop = this.run().catch((err: unknown) => {
      this.options.logger.error({ err }, "broker lifecycle loop failed");
    });
  }

  /** Resolves true once the controller has unfenced this broker, false at the timeout. */
  async waitUnfenced(timeoutMs: number): Promise<boolean> {
    const ok = await this.waitFor(
      () => this.refused !== null || (!this.isFenced && this.state === "RUNNING"),
      timeoutMs,
    );
    if (this.refused !== null) throw this.refused;
    return ok;
  }

  /**
   * Controlled shutdown (KIP-631): heartbeat with wantShutDown until the controller answers
   * shouldShutDown (it has moved this broker's leaderships away), or the timeout passes.
   */
  async controlledShutdown(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    if (this.brokerEpoch < 0n) return true; // never registered: nothing to hand over
    // Asked once already (the broker's close, then the node's): no second bounded wait.
    if (this.state === "SHUTTING_DOWN") return this.shouldShutDown;
    this.wantShutDown = true;
    this.state = "PENDING_CONTROLLED_SHUTDOWN";
    this.wake?.();
    const ok = await this.waitFor(() => this.shouldShutDown, timeoutMs);
    this.state = "SHUTTING_DOWN";
    return ok;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    for (const w of this.waiters) w();
    await this.loop;
  }

  private waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done() && !this.closed) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(done());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(done());
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private async run(): Promise<void> {
    while (!this.closed && !this.shouldShutDown) {
      const registering = this.brokerEpoch < 0n;
      const ok = registering ? await this.register() : await this.heartbeat();
      if (this.closed || this.shouldShutDown) break;
      // Registered: the first heartbeat (the one that can unfence) goes out at once, as in Kafka.
      if (registering && ok) continue;
      const fast = !ok || this.isFenced || this.wantShutDown;
      await this.sleep(
        fast ? Math.min(FAST_HEARTBEAT_MS, this.options.heartbeatIntervalMs) : this.options.heartbeatIntervalMs,
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Sends to the active controller; null (logged at debug as `noAnswer`) when none answered. */
  private async send<T>(apiKey: number, request: unknown, noAnswer: string): Promise<T | null> {
    try {
      return await this.options.channel.send<T>(apiKey, request);
    } catch (err) {
      this.options.logger.debug({ err }, noAnswer);
      return null;
    }
  }

  private async register(): Promise<boolean> {
    const o = this.options;
    const request: BrokerRegistrationRequest = {
      brokerId: o.brokerId,
      clusterId: o.clusterId,
      incarnationId: this.incarnationId,
      listeners: o.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: 0 })),
      features: o.features ?? SUPPORTED_FEATURES,
      rack: o.rack,
      logDirs: [],
      previousBrokerEpoch: -1n,
    };
    const res = await this.send<BrokerRegistrationResponse>(
      BROKER_REGISTRATION,
      request,
      "broker registration: no controller yet",
    );
    if (res === null) return false;
    if (res.errorCode === ErrorCode.INCONSISTENT_CLUSTER_ID) {
      this.refused ??= new StorageError(
        `The controller refused to register broker ${o.brokerId}: its log dirs were formatted for cluster ${o.clusterId}, not the quorum's cluster (INCONSISTENT_CLUSTER_ID). Format them with the cluster's id.`,
      );
      this.notify();
      return false;
    }
    if (res.errorCode !== ErrorCode.NONE) {
      // NOT_CONTROLLER during an election is routine; anything else is worth a warning.
      const level = res.errorCode === ErrorCode.NOT_CONTROLLER ? "debug" : "warn";
      o.logger[level]({ errorCode: res.errorCode }, "broker registration refused; retrying");
      return false;
    }
    this.brokerEpoch = res.brokerEpoch;
    this.isFenced = true;
    this.state = "RECOVERY";
    o.logger.info({ brokerEpoch: res.brokerEpoch.toString(), incarnationId: this.incarnationId }, "broker registered");
    this.notify();
    return true;
  }

  private async heartbeat(): Promise<boolean> {
    const o = this.options;
    const request: BrokerHeartbeatRequest = {
      brokerId: o.brokerId,
      brokerEpoch: this.brokerEpoch,
      currentMetadataOffset: BigInt(o.metadataOffset()),
      wantFence: false,
      wantShutDown: this.wantShutDown,
      offlineLogDirs: [],
    };
    const res = await this.send<BrokerHeartbeatResponse>(
      BROKER_HEARTBEAT,
      request,
      "broker heartbeat: no controller answered",
    );
    if (res === null) return false;
    if (res.errorCode === ErrorCode.STALE_BROKER_EPOCH || res.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
      // The controller no longer knows this registration (e.g. replaced): register again.
      o.logger.warn({ errorCode: res.errorCode }, "broker heartbeat refused; registering again");
      this.brokerEpoch = -1n;
      this.isFenced = true;
      this.notify();
      return false;
    }
    if (res.errorCode !== ErrorCode.NONE) return false;
    const wasFenced = this.isFenced;
    this.isFenced = res.isFenced;
    this.shouldShutDown = res.shouldShutDown;
    if (!this.wantShutDown) this.state = res.isFenced ? "RECOVERY" : "RUNNING";
    if (wasFenced !== res.isFenced) o.logger.info({ fenced: res.isFenced }, "broker fencing changed");
    this.notify();
    return true;
  }
}
