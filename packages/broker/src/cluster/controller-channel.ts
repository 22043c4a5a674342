// ControllerChannel: a broker's client to the active controller (Kafka's
// NodeToControllerChannelManager). It knows the voters' CONTROLLER addresses, keeps one connection
// to the one it believes active, and on a connection failure or NOT_CONTROLLER moves on — to the
// leader a voter names in DescribeQuorum (its hint), else to the next voter — with capped backoff,
// until the caller's deadline. The same connection carries the heartbeats, so the active
// controller sees a crashed broker's connection close (fast fencing).
import { Connection, type Logger as ClientLogger } from "@gregor/client";
import { ErrorCode, type DescribeQuorumResponse } from "@gregor/protocol";
import type { QuorumVoter } from "./cluster-config.js";

const DESCRIBE_QUORUM = 55;
export const METADATA_TOPIC = "__cluster_metadata";

export interface ControllerChannelOptions {
  voters: readonly QuorumVoter[];
  clientId: string;
  /** How long one request may wait for the controller's answer. */
  requestTimeoutMs: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /** Requests in flight through this channel; more are refused at once (bounded). */
  maxInFlight?: number;
  logger?: ClientLogger;
  /** Picks the first voter to try (default Math.random; injected in tests). */
  random?: () => number;
  /** Source address of the connection (outboundLocalAddress): a cut link between two nodes cuts this too. */
  localAddress?: string | undefined;
}

export interface SendOptions<T> {
  /** Total time for all attempts (default: 3 request timeouts). */
  timeoutMs?: number;
  /** Whether the answer says "not the active controller" (default: top-level errorCode 41). */
  isNotController?: (res: T) => boolean;
}

/** No controller answered in time; retriable. */
export class ControllerUnavailableError extends Error {
  override readonly name = "ControllerUnavailableError";
  readonly errorCode = ErrorCode.NOT_CONTROLLER;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class DeadlineError extends Error {}

/** `promise`, or a DeadlineError once performance.now() passes `deadline`. */
function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError("timed out")), Math.max(0, deadline - performance.now()));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function topLevelNotController(res: unknown): boolean {
  return (res as { errorCode?: number }).errorCode === ErrorCode.NOT_CONTROLLER;
}

export class ControllerChannel {
  private connection: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private target: QuorumVoter | null = null;
  private hint: number | null = null;
  /** Controllers learned from DescribeQuorum v2's nodes (bootstrap servers have no ids). */
  private readonly learned = new Map<number, QuorumVoter>();
  private nextVoter = 0;
  private inFlight = 0;
  private closed = false;
  /** Id of the controller the current connection goes to (-1 when none). */
  activeControllerId = -1;
  /** Counters for logs and tests: connections opened, NOT_CONTROLLER answers, hints followed. */
  readonly stats = { connects: 0, notController: 0, hintsFollowed: 0 };

  constructor(private readonly options: ControllerChannelOptions) {
    if (options.voters.length === 0) throw new Error("ControllerChannel needs at least one voter");
    this.nextVoter = Math.floor((options.random ?? Math.random)() * options.voters.length) % options.voters.length;
  }

  /**
   * Sends one request to the active controller, retrying elsewhere on NOT_CONTROLLER and
   * connection failures until the deadline. Resolves with the last answer (which may itself be
   * NOT_CONTROLLER when the deadline passed); throws ControllerUnavailableError when none came.
   */
  async send<T>(apiKey: number, body: unknown, options: SendOptions<T> = {}): Promise<T> {
    if (this.closed) throw new ControllerUnavailableError("controller channel closed");
    if (this.inFlight >= (this.options.maxInFlight ?? 100)) {
      throw new ControllerUnavailableError(
        `more than ${this.options.maxInFlight ?? 100} controller requests in flight`,
      );
    }
    const isNotController = options.isNotController ?? topLevelNotController;
    const deadline = performance.now() + (options.timeoutMs ?? this.options.requestTimeoutMs * 3);
    let backoff = this.options.retryBackoffMs ?? 50;
    const maxBackoff = this.options.retryBackoffMaxMs ?? 1000;
    let last: T | undefined;
    let lastError: Error | null = null;
    this.inFlight++;
    try {
      while (!this.closed && performance.now() < deadline) {
        let conn: Connection;
        try {
          conn = await beforeDeadline(this.connect(), deadline);
          // The caller's deadline bounds the wait; a late answer is dropped (the connection stays).
          const res = await beforeDeadline(conn.request<T>(apiKey, body), deadline);
          if (!isNotController(res)) return res;
          last = res;
          this.stats.notController++;
          if (await this.followHint(conn)) continue;
        } catch (e) {
          lastError = e as Error;
          if (e instanceof DeadlineError) break;
          this.drop();
        }
        await sleep(Math.min(backoff, Math.max(0, deadline - performance.now())));
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    } finally {
      this.inFlight--;
    }
    if (last !== undefined) return last;
    throw new ControllerUnavailableError(`no active controller answered: ${lastError?.message ?? "timed out"}`);
  }

  /** After NOT_CONTROLLER: ask that voter who leads; true when it named another voter to try now. */
  private async followHint(conn: Connection): Promise<boolean> {
    const current = this.target?.id ?? -1;
    this.detach();
    let leaderId = -1;
    try {
      const res = await conn.request<DescribeQuorumResponse>(DESCRIBE_QUORUM, {
        topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }],
      });
      leaderId = res.topics[0]?.partitions[0]?.leaderId ?? -1;
      const listener = res.nodes?.find((n) => n.nodeId === leaderId)?.listeners[0];
      if (listener !== undefined && leaderId > 0 && this.learned.size < 1000) {
        this.learned.set(leaderId, { id: leaderId, host: listener.host, port: listener.port });
      }
    } catch {
      // The hint is optional: fall through to the next voter.
    } finally {
      conn.close();
    }
    if (leaderId > 0 && leaderId !== current && this.voterById(leaderId) !== undefined) {
      this.hint = leaderId;
      this.stats.hintsFollowed++;
      return true;
    }
    return false;
  }

  private voterById(id: number): QuorumVoter | undefined {
    return this.options.voters.find((v) => v.id === id) ?? this.learned.get(id);
  }

  private pickVoter(): QuorumVoter {
    const voters = this.options.voters;
    const hinted = this.hint === null ? undefined : this.voterById(this.hint);
    this.hint = null;
    if (hinted !== undefined) return hinted;
    const v = voters[this.nextVoter % voters.length]!;
    this.nextVoter = (this.nextVoter + 1) % voters.length;
    return v;
  }

  private connect(): Promise<Connection> {
    if (this.connection?.isOpen === true) return Promise.resolve(this.connection);
    if (this.connecting !== null) return this.connecting;
    const voter = this.pickVoter();
    const attempt = Connection.connect({
      host: voter.host,
      port: voter.port,
      clientId: this.options.clientId,
      connectTimeoutMs: this.options.requestTimeoutMs,
      // A controller write answers within its own request timeout; leave room for the network.
      requestTimeoutMs: this.options.requestTimeoutMs * 2 + 1000,
      maxInFlightRequests: this.options.maxInFlight ?? 100,
      ...(this.options.localAddress !== undefined ? { localAddress: this.options.localAddress } : {}),
      ...(this.options.logger !== undefined ? { logger: this.options.logger } : {}),
    }).then(
      (conn) => {
        this.connecting = null;
        if (this.closed) {
          conn.close();
          throw new ControllerUnavailableError("controller channel closed");
        }
        this.connection = conn;
        this.target = voter;
        this.stats.connects++;
        this.activeControllerId = voter.id > 0 ? voter.id : -1; // bootstrap servers have no id
        conn.onClose = () => {
          if (this.connection === conn) this.drop();
        };
        if (voter.id < 0) void this.identify(conn);
        return conn;
      },
      (e: unknown) => {
        this.connecting = null;
        throw e;
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  /** A bootstrap server has no id: ask it (DescribeQuorum); if it leads, that is the active id. */
  private async identify(conn: Connection): Promise<void> {
    try {
      const res = await conn.request<DescribeQuorumResponse>(DESCRIBE_QUORUM, {
        topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }],
      });
      const p = res.topics[0]?.partitions[0];
      if (p?.errorCode === ErrorCode.NONE && this.connection === conn) this.activeControllerId = p.leaderId;
    } catch {
      // Only a name for logs and status; the connection itself is what matters.
    }
  }

  /** Forgets the current connection without closing it. */
  private detach(): Connection | null {
    const conn = this.connection;
    this.connection = null;
    this.target = null;
    this.activeControllerId = -1;
    return conn;
  }

  private drop(): void {
    this.detach()?.close();
  }

  close(): void {
    this.closed = true;
    this.drop();
  }
}
