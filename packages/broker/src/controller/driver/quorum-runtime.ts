// The metadata quorum on one controller node: a RaftNode over a StorageLogStore in
// `<metadata dir>/__cluster_metadata-0/`, the QuorumController as its state machine, and — while
// this node is the raft leader, i.e. the active controller — one serial write queue:
// operation -> records -> propose -> committed and replayed -> response. A write that cannot
// commit within `controller.quorum.request.timeout.ms` (no majority, lost leadership) answers
// NotControllerError, which handlers turn into NOT_CONTROLLER (retriable): never a hang.
import { join } from "node:path";
import { NotLeaderError, ProposalDroppedError, ProposalTimeoutError, RaftNode, StorageLogStore } from "@gregor/raft";
import type { Logger } from "pino";
import type { ClusterSettings } from "../../cluster/cluster-config.js";
import type { MetadataPublisher } from "../../cluster/metadata-publisher.js";
import { encodeRecordBatch, type ControllerResult, type MetadataImage, QuorumController } from "../index.js";
import { BrokerConnections } from "./broker-connections.js";
import { MetadataStateMachine } from "./metadata-state-machine.js";
import { buildQuorumStatus, CaughtUpTracker, ObserverTracker, type QuorumStatus } from "./quorum-status.js";
import type { ControllerRaftTransport } from "./raft-transport.js";

/** The features the first active controller writes into an empty log (KIP-584/KIP-778). */
export const BOOTSTRAP_FEATURES: ReadonlyMap<string, number> = new Map([["metadata.version", 1]]);
/** Writes waiting in the queue; more are refused with NOT_CONTROLLER (bounded). */
const MAX_QUEUED_WRITES = 10_000;
/** Rough bytes per metadata entry, to turn the snapshot byte threshold into raft's entry count. */
const ASSUMED_ENTRY_BYTES = 256;

/** This node is not (or no longer) the active controller, or the write did not commit in time. */
export class NotControllerError extends Error {
  override readonly name = "NotControllerError";
}

export interface QuorumRuntimeOptions {
  settings: ClusterSettings;
  clusterId: string;
  transport: ControllerRaftTransport;
  publisher: MetadataPublisher;
  logger: Logger;
  defaultReplicationFactor: number;
  numPartitions: number;
  /** Combined mode: this process's broker incarnation (null without the broker role). */
  ownIncarnationId?: string | null;
  random?: () => number;
  clock?: () => number;
}

export class QuorumRuntime {
  private active = false;
  private activeTerm = -1;
  private queued = 0;
  private tail: Promise<void> = Promise.resolve();
  private tickTimer: NodeJS.Timeout | null = null;
  private ticking = false;
  private balanceTimer: NodeJS.Timeout | null = null;
  private balancing = false;
  private closed = false;
  readonly brokerConnections: BrokerConnections;
  private readonly caughtUp = new CaughtUpTracker();
  private readonly observers = new ObserverTracker();
  private readonly clock: () => number;

  private constructor(
    private readonly options: QuorumRuntimeOptions,
    readonly raft: RaftNode,
    readonly stateMachine: MetadataStateMachine,
  ) {
    this.clock = options.clock ?? Date.now;
    this.brokerConnections = new BrokerConnections(options.settings.connectionGraceMs, (brokerId) =>
      this.fenceAfterDisconnect(brokerId),
    );
  }

  static async start(options: QuorumRuntimeOptions): Promise<QuorumRuntime> {
    const { settings, logger } = options;
    const random = options.random ?? Math.random;
    const stateMachine = new MetadataStateMachine(
      () =>
        new QuorumController({
          clusterId: options.clusterId,
          brokerSessionTimeoutMs: settings.brokerSessionTimeoutMs,
          defaultReplicationFactor: options.defaultReplicationFactor,
          numPartitions: options.numPartitions,
          leaderImbalancePerBrokerPercentage: settings.leaderImbalancePerBrokerPercentage,
          random,
        }),
      options.publisher,
      logger,
    );
    const store = await StorageLogStore.open(join(settings.metadataLogDir, "__cluster_metadata-0"));
    const tickMs = Math.max(5, Math.min(100, Math.floor(settings.electionTimeoutMs / 10)));
    let runtime: QuorumRuntime | null = null;
    const raft = await RaftNode.start({
      id: settings.nodeId,
      membership: { voters: settings.voters.map((v) => v.id), learners: [] },
      store,
      transport: options.transport,
      stateMachine,
      tickMs,
      electionTicks: Math.max(3, Math.round(settings.electionTimeoutMs / tickMs)),
      heartbeatTicks: 1,
      random,
      proposalTimeoutMs: settings.requestTimeoutMs,
      snapshotEntries: Math.max(64, Math.ceil(settings.snapshotBytes / ASSUMED_ENTRY_BYTES)),
      onLeaderChange: (leaderId, term) => runtime?.onLeaderChange(leaderId, term),
    });
    runtime = new QuorumRuntime(options, raft, stateMachine);
    // A quorum of one (the embedded single node) elects itself at once, not after a timeout.
    if (settings.voters.length === 1 && settings.voters[0]!.id === settings.nodeId) raft.campaign();
    if (raft.isLeader) runtime.onLeaderChange(raft.leaderId, raft.status().term);
    return runtime;
  }

  get nodeId(): number {
    return this.options.settings.nodeId;
  }

  get settings(): ClusterSettings {
    return this.options.settings;
  }

  get isActive(): boolean {
    return this.active && this.raft.isLeader;
  }

  /** The raft leader (active controller) as this node knows it, -1 if none. */
  get activeControllerId(): number {
    const lead = this.raft.leaderId;
    return lead === 0 ? -1 : lead;
  }

  get controller(): QuorumController {
    return this.stateMachine.controller;
  }

  image(): MetadataImage {
    return this.stateMachine.controller.image;
  }

  /** The metadata offset this node has applied (raft applied index). */
  appliedOffset(): number {
    return this.raft.applied;
  }

  status(): QuorumStatus {
    const nowMs = this.clock();
    const status = buildQuorumStatus(this.raft, this.options.settings, this.options.transport, this.caughtUp, nowMs);
    if (status.isLeader) status.observers = this.observers.list(this.options.settings.voters, status.highWatermark);
    return status;
  }

  /** Resolves once the image reaches `offset`, after `timeoutMs`, or when `signal` aborts. */
  waitForOffset(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.image().offset >= offset || timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const unsubscribe = this.options.publisher.subscribe((image) => {
        if (image.offset >= offset) done();
      });
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** A heartbeat reported the metadata offset a broker has applied (DescribeQuorum's observers). */
  noteBrokerOffset(brokerId: number, offset: number): void {
    this.observers.note(brokerId, offset, this.clock());
  }

  private onLeaderChange(leaderId: number, term: number): void {
    if (this.closed) return;
    if (leaderId !== this.nodeId) {
      if (this.active) this.options.logger.info({ leaderId, term }, "no longer the active controller");
      this.deactivate();
      return;
    }
    void this.activate(term);
  }

  /**
   * Becoming active: wait until every entry committed by earlier leaders is replayed (a read-index
   * barrier, Raft thesis §6.4), so operations see the whole log; then start fresh broker sessions
   * and bootstrap an empty log.
   */
  private async activate(term: number): Promise<void> {
    while (!this.closed && this.raft.isLeader && this.raft.status().term === term) {
      try {
        await this.raft.readIndex();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    if (this.closed || !this.raft.isLeader || this.raft.status().term !== term) return;
    this.controller.activate(this.clock());
    this.active = true;
    this.activeTerm = term;
    this.options.logger.info({ term }, "active controller");
    await this.maybeBootstrap();
    await this.fenceOwnStaleRegistration();
    const everyMs = Math.max(10, Math.min(250, Math.floor(this.options.settings.brokerSessionTimeoutMs / 8)));
    if (this.tickTimer === null) this.tickTimer = setInterval(() => this.tick(), everyMs);
    const { autoLeaderRebalanceEnable, leaderImbalanceCheckIntervalMs } = this.options.settings;
    if (autoLeaderRebalanceEnable && this.balanceTimer === null) {
      this.balanceTimer = setInterval(() => this.balanceLeaders(), leaderImbalanceCheckIntervalMs);
    }
  }

  /**
   * auto.leader.rebalance.enable: every leader.imbalance.check.interval.seconds the active
   * controller moves leadership back to preferred replicas (QuorumController.balancePartitionLeaders).
   */
  private balanceLeaders(): void {
    if (this.balancing || !this.isActive) return;
    this.balancing = true;
    let moved = 0;
    this.write((c, nowMs) => {
      const records = c.balancePartitionLeaders(nowMs);
      moved = records.length;
      return { records, response: null };
    })
      .then(() => {
        if (moved > 0) this.options.logger.info({ partitions: moved }, "moved leadership back to preferred replicas");
      })
      .catch((err: unknown) => this.options.logger.debug({ err }, "preferred-leader rebalance write failed"))
      .finally(() => {
        this.balancing = false;
      });
  }

  /** An empty log gets the bootstrap records (KIP-778); retried from tick() until they commit. */
  private async maybeBootstrap(): Promise<void> {
    if (this.image().features.size > 0) return;
    await this.write((c) => ({
      records: c.image.features.size > 0 ? [] : c.bootstrap(this.options.clusterId, BOOTSTRAP_FEATURES),
      response: null,
    })).catch((err: unknown) => {
      this.options.logger.warn({ err }, "bootstrap records not written yet; retrying");
    });
  }

  /**
   * A combined node's broker and controller live and die together: a registration of this node id
   * from another incarnation is a previous process (killed), so it is fenced now instead of
   * blocking the restarted broker's registration for a whole session timeout.
   */
  private async fenceOwnStaleRegistration(): Promise<void> {
    const own = this.image().brokers.get(this.nodeId);
    const incarnation = this.options.ownIncarnationId ?? null;
    if (incarnation === null || own === undefined || own.fenced || own.incarnationId === incarnation) return;
    await this.write((c) => ({ records: c.fenceBroker(this.nodeId), response: null })).catch((err: unknown) =>
      this.options.logger.debug({ err }, "fencing this node's previous registration failed"),
    );
  }

  private deactivate(): void {
    this.active = false;
    this.activeTerm = -1;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.tickTimer = null;
    if (this.balanceTimer !== null) clearInterval(this.balanceTimer);
    this.balanceTimer = null;
    this.brokerConnections.clear();
    this.observers.clear();
  }

  /** Fences stale brokers, one per write (Kafka's maybeFenceOneStaleBroker), until none is left. */
  private tick(): void {
    if (this.ticking || !this.isActive) return;
    this.caughtUp.sample(this.raft, this.clock());
    this.ticking = true;
    const step = async (): Promise<void> => {
      await this.maybeBootstrap();
      for (let i = 0; i < 100 && this.isActive; i++) {
        let wrote = false;
        await this.write((c, nowMs) => {
          const records = c.tick(nowMs);
          wrote = records.length > 0;
          return { records, response: null };
        });
        if (!wrote) break;
      }
    };
    step()
      .catch((err: unknown) => this.options.logger.debug({ err }, "controller tick write failed"))
      .finally(() => {
        this.ticking = false;
      });
  }

  private fenceAfterDisconnect(brokerId: number): void {
    if (!this.isActive) return;
    const broker = this.image().brokers.get(brokerId);
    if (broker === undefined || broker.fenced) return;
    this.options.logger.info({ brokerId }, "fencing broker: its controller connection closed and did not return");
    this.write((c) => ({ records: c.fenceBroker(brokerId), response: null })).catch((err: unknown) =>
      this.options.logger.debug({ err, brokerId }, "fast fence write failed"),
    );
  }

  /**
   * Runs one controller operation on the serial queue. `committed` maps the response once its
   * records are applied (e.g. a registration's epoch = the index of its entry). Rejects with
   * NotControllerError when this node is not active or the records did not commit within
   * controller.quorum.request.timeout.ms.
   */
  write<R>(
    op: (controller: QuorumController, nowMs: number) => ControllerResult<R>,
    committed?: (response: R, index: number) => R,
  ): Promise<R> {
    if (!this.isActive)
      return Promise.reject(new NotControllerError(`node ${this.nodeId} is not the active controller`));
    if (this.queued >= MAX_QUEUED_WRITES) return Promise.reject(new NotControllerError("controller write queue full"));
    const timeoutMs = this.options.settings.requestTimeoutMs;
    const term = this.activeTerm;
    this.queued++;
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(
        () => settle(() => reject(new NotControllerError(`controller write not committed within ${timeoutMs} ms`))),
        timeoutMs,
      );
      // The queue waits for each proposal's outcome even after its caller timed out, so the next
      // operation is computed from an image that includes every earlier record (raft bounds the
      // wait with proposalTimeoutMs).
      this.tail = this.tail.then(async () => {
        try {
          if (settled) return;
          if (!this.isActive || this.activeTerm !== term) throw new NotControllerError("leadership changed");
          const result = op(this.controller, this.clock());
          if (result.records.length === 0) {
            settle(() => resolve(result.response));
            return;
          }
          const { index } = await this.raft.propose(encodeRecordBatch(result.records));
          const response = committed === undefined ? result.response : committed(result.response, index);
          settle(() => resolve(response));
        } catch (err) {
          const e = err instanceof NotControllerError || !(err instanceof Error) ? err : toNotController(err);
          settle(() => reject(e));
        } finally {
          this.queued--;
        }
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deactivate();
    await this.raft.stop();
  }
}

/** Raft's proposal failures (not leader, dropped, timed out) all mean "ask the active controller". */
function toNotController(err: Error): Error {
  const raftFailure =
    err instanceof NotLeaderError || err instanceof ProposalDroppedError || err instanceof ProposalTimeoutError;
  return raftFailure || err.message === "raft node stopped" ? new NotControllerError(err.message) : err;
}
