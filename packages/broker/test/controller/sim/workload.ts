// The simulation's callers: brokers that register, heartbeat, crash, come back as new incarnations
// and shut down in a controlled way; partition leaders proposing ISR changes (AlterPartition); an
// admin client creating, growing and deleting topics, changing configs and asking for elections.
// Each broker keeps one lifecycle request in flight, like Kafka's BrokerLifecycleManager.
import { ErrorCode } from "@gregor/protocol";
import type {
  BrokerHeartbeatResponse,
  BrokerRegistrationResponse,
  ControllerResult,
  MetadataImage,
  QuorumController,
} from "../../../src/controller/index.js";
import type { CallReply } from "./controller-node.js";
import { CLUSTER_ID, SESSION_TIMEOUT_MS } from "./controller-node.js";
import type { Simulation } from "./world.js";

const HEARTBEAT_MS = 200;
const REQUEST_TIMEOUT_MS = 300;
const TOPICS = ["t0", "t1", "t2", "t3", "t4"];

type BrokerState = "down" | "registering" | "running" | "shuttingDown";

class SimBroker {
  incarnation = 0;
  epoch = -1;
  private current: BrokerState = "registering";
  /** When the broker entered its current state. */
  since = 0;
  metadataOffset = 0;
  controllerHint = 0;
  /** Sequence number of the lifecycle request in flight (0 = none). */
  waiting = 0;
  private seq = 0;
  downUntil = 0;

  constructor(
    readonly id: number,
    readonly rack: string | null,
    private readonly sim: Simulation,
  ) {}

  get state(): BrokerState {
    return this.current;
  }

  set state(next: BrokerState) {
    if (next !== this.current) this.since = this.sim.now;
    this.current = next;
  }

  get incarnationId(): string {
    return `broker-${this.id}-${this.incarnation}`;
  }

  /** One lifecycle step every heartbeat interval. */
  step(): void {
    const sim = this.sim;
    sim.later(HEARTBEAT_MS, () => this.step());
    if (this.state === "down") {
      if (sim.now < this.downUntil) return;
      this.incarnation++;
      this.epoch = -1;
      this.state = "registering";
      this.waiting = 0;
    }
    // Faults while chaos lasts: a crash (silence past the session, or a quick restart), or a
    // controlled shutdown.
    if (sim.chaos && sim.rng.chance(0.01)) {
      this.state = "down";
      this.downUntil = sim.now + sim.rng.int(100, 3 * SESSION_TIMEOUT_MS);
      if (sim.rng.chance(0.5)) this.fastFence();
      return;
    }
    if (sim.chaos && this.state === "running" && sim.rng.chance(0.01)) this.state = "shuttingDown";
    if (this.waiting !== 0) return;
    if (this.state === "registering") this.send((c, now) => c.registerBroker(this.registration(), now));
    else this.send((c, now) => c.brokerHeartbeat(this.heartbeat(), now));
  }

  /**
   * The runtime's fast path: the broker's controller connection dropped and did not come back
   * within a grace, so the active controller fences it without waiting for the session.
   */
  private fastFence(): void {
    const sim = this.sim;
    const incarnation = this.incarnation;
    sim.later(sim.rng.int(50, 400), () => {
      if (this.state !== "down" || this.incarnation !== incarnation) return;
      const target = this.controllerHint !== 0 ? this.controllerHint : sim.rng.int(1, sim.nodes.size);
      sim.call(
        target,
        (c) => ({ records: c.fenceBroker(this.id), response: null }),
        () => {},
      );
    });
  }

  private registration() {
    return {
      brokerId: this.id,
      clusterId: CLUSTER_ID,
      incarnationId: this.incarnationId,
      listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9000 + this.id, securityProtocol: 0 }],
      features: [],
      rack: this.rack,
    };
  }

  private heartbeat() {
    return {
      brokerId: this.id,
      brokerEpoch: this.epoch,
      currentMetadataOffset: this.metadataOffset,
      wantFence: false,
      wantShutDown: this.state === "shuttingDown",
    };
  }

  private send(run: (c: QuorumController, nowMs: number) => ControllerResult<unknown>): void {
    const sim = this.sim;
    const seq = ++this.seq;
    const incarnation = this.incarnation;
    this.waiting = seq;
    const target = this.controllerHint !== 0 ? this.controllerHint : sim.rng.int(1, sim.nodes.size);
    sim.call(target, run, (reply) => {
      if (this.waiting === seq && this.incarnation === incarnation) this.onReply(reply);
    });
    sim.later(REQUEST_TIMEOUT_MS, () => {
      if (this.waiting !== seq) return;
      this.waiting = 0;
      this.controllerHint = 0;
    });
  }

  private onReply(reply: CallReply): void {
    this.waiting = 0;
    if (!reply.ok) {
      this.controllerHint = reply.leaderHint;
      return;
    }
    this.metadataOffset = Math.max(this.metadataOffset, reply.offset);
    if (this.state === "registering") {
      const r = reply.response as BrokerRegistrationResponse;
      if (r.errorCode === ErrorCode.NONE) {
        this.epoch = r.brokerEpoch;
        this.state = "running";
      }
      return;
    }
    const r = reply.response as BrokerHeartbeatResponse;
    if (r.errorCode === ErrorCode.STALE_BROKER_EPOCH || r.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
      this.state = "registering";
    } else if (r.errorCode === ErrorCode.NONE && r.shouldShutDown && this.state === "shuttingDown") {
      this.state = "down";
      this.downUntil = this.sim.now + this.sim.rng.int(50, 2 * SESSION_TIMEOUT_MS);
    }
  }
}

/** The (first) error code of any of the controller's responses. */
function errorCodeOf(response: unknown): number {
  const r = response as {
    errorCode?: number;
    topics?: { errorCode?: number; partitions?: { errorCode: number }[] }[];
    responses?: { errorCode: number }[];
    results?: { errorCode: number }[];
    replicaElectionResults?: { partitionResult: { errorCode: number }[] }[];
  } | null;
  if (r === null) return 0;
  if (r.errorCode !== undefined && r.errorCode !== 0) return r.errorCode;
  const nested =
    r.topics?.[0]?.errorCode ??
    r.topics?.[0]?.partitions?.[0]?.errorCode ??
    r.responses?.[0]?.errorCode ??
    r.results?.[0]?.errorCode ??
    r.replicaElectionResults?.[0]?.partitionResult[0]?.errorCode;
  return nested ?? r.errorCode ?? 0;
}

export class Workload {
  readonly brokers: SimBroker[] = [];
  readonly answers = new Map<string, number>();
  private adminHint = 0;

  constructor(
    private readonly sim: Simulation,
    brokerCount: number,
  ) {
    const racks = sim.rng.int(0, 3);
    for (let i = 1; i <= brokerCount; i++) {
      const broker = new SimBroker(i, racks === 0 ? null : `rack-${i % racks}`, sim);
      this.brokers.push(broker);
      sim.later(sim.rng.int(0, HEARTBEAT_MS), () => broker.step());
    }
    sim.later(sim.rng.int(50, 300), () => this.admin());
  }

  /**
   * Liveness at the end of the quiet period, for the active controller's image: a broker silent for
   * a session (counted from the later of its crash and the controller's activation) is fenced; a
   * broker running and heartbeating for a while is unfenced.
   */
  checkLiveness(image: MetadataImage, activatedAt: number, slackMs: number): string | null {
    const now = this.sim.now;
    for (const b of this.brokers) {
      const registration = image.brokers.get(b.id);
      if (b.state === "down" && Math.max(b.since, activatedAt) + SESSION_TIMEOUT_MS + slackMs < now) {
        if (registration !== undefined && !registration.fenced)
          return `broker ${b.id} down since ${b.since} is not fenced`;
      }
      if (b.state === "running" && b.since + slackMs < now && registration?.fenced !== false) {
        return `broker ${b.id} running since ${b.since} is not an unfenced broker`;
      }
    }
    return null;
  }

  private count(kind: string, errorCode: number): void {
    const key = `${kind}:${errorCode}`;
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
  }

  /** Fire-and-forget admin and AlterPartition calls against a possibly stale view. */
  private admin(): void {
    const sim = this.sim;
    sim.later(sim.rng.int(30, 150), () => this.admin());
    if (!sim.chaos && sim.rng.chance(0.7)) return;
    const view = sim.view();
    if (view === undefined) return;
    const target = this.adminHint !== 0 ? this.adminHint : sim.rng.int(1, sim.nodes.size);
    const [kind, run] = this.pickCall(view);
    sim.call(target, run, (reply) => {
      if (reply.ok) this.count(kind, errorCodeOf(reply.response));
      else this.adminHint = reply.leaderHint;
    });
  }

  /** Mostly a topic that exists in the view (or, to create, one that does not); sometimes any. */
  private topicName(view: MetadataImage, exists: boolean): string {
    const rng = this.sim.rng;
    const candidates = TOPICS.filter((t) => view.topics.byName.has(t) === exists);
    return candidates.length > 0 && rng.chance(0.9) ? rng.pick(candidates) : rng.pick(TOPICS);
  }

  private pickCall(view: MetadataImage): [string, (c: QuorumController, nowMs: number) => ControllerResult<unknown>] {
    const rng = this.sim.rng;
    const dice = rng.next();
    if (dice < 0.25) {
      const configs = rng.chance(0.3) ? [{ name: "unclean.leader.election.enable", value: "true" }] : [];
      const topic = {
        name: this.topicName(view, false),
        numPartitions: rng.int(1, 4),
        replicationFactor: rng.int(1, 3),
        assignments: [],
        configs,
      };
      return ["createTopics", (c, now) => c.createTopics({ topics: [topic], validateOnly: false }, now)];
    }
    const name = this.topicName(view, true);
    if (dice < 0.32) return ["deleteTopics", (c, now) => c.deleteTopics({ topics: [{ name, topicId: null }] }, now)];
    if (dice < 0.38) {
      const count = (view.topics.byName.get(name)?.partitions.length ?? 1) + rng.int(0, 2);
      return [
        "createPartitions",
        (c, now) => c.createPartitions({ topics: [{ name, count, assignments: null }], validateOnly: false }, now),
      ];
    }
    if (dice < 0.44) {
      const value = rng.pick(["true", "false"]);
      const configs = [{ name: "unclean.leader.election.enable", configOperation: 0, value }];
      const resources = [{ resourceType: 2, resourceName: name, configs }];
      return [
        "incrementalAlterConfigs",
        (c, now) => c.incrementalAlterConfigs({ resources, validateOnly: false }, now),
      ];
    }
    if (dice < 0.5) {
      const electionType = rng.chance(0.7) ? 0 : 1;
      return ["electLeaders", (c, now) => c.electLeaders({ electionType, topicPartitions: null }, now)];
    }
    if (dice < 0.54) {
      const broker = rng.pick([...view.brokers.values(), undefined]);
      const req = { brokerId: broker?.brokerId ?? 99, brokerEpoch: broker?.brokerEpoch ?? 0 };
      return ["allocateProducerIds", (c, now) => c.allocateProducerIds(req, now)];
    }
    if (dice < 0.6) {
      // KIP-455: a random target (sometimes an unknown broker 99), or a cancel.
      const pool = [...view.brokers.keys(), 99];
      const target = rng.chance(0.2) ? null : Array.from({ length: rng.int(1, 3) }, () => rng.pick(pool));
      const partitions = [{ partitionIndex: rng.int(0, 3), replicas: target }];
      return [
        "alterPartitionReassignments",
        (c, now) => c.alterPartitionReassignments({ topics: [{ name, partitions }] }, now),
      ];
    }
    if (dice < 0.62) {
      return ["balancePartitionLeaders", (c, now) => ({ records: c.balancePartitionLeaders(now), response: null })];
    }
    return this.alterPartitionCall(view);
  }

  /** A partition leader (in the view) shrinks its ISR by a follower or adds a replica back. */
  private alterPartitionCall(
    view: MetadataImage,
  ): [string, (c: QuorumController, nowMs: number) => ControllerResult<unknown>] {
    const rng = this.sim.rng;
    const led = [...view.topics.byId.values()].flatMap((t) =>
      t.partitions.filter((p) => p.leader !== -1).map((p) => ({ topicId: t.topicId, p })),
    );
    const noop: [string, (c: QuorumController, nowMs: number) => ControllerResult<unknown>] = [
      "noop",
      () => ({ records: [], response: null }),
    ];
    if (led.length === 0) return noop;
    const { topicId, p } = rng.pick(led);
    const followers = p.isr.filter((id) => id !== p.leader);
    const outside = p.replicas.filter((id) => !p.isr.includes(id));
    let isr: number[];
    if (outside.length > 0 && (followers.length === 0 || rng.chance(0.5))) isr = [...p.isr, rng.pick(outside)];
    else if (followers.length > 0) isr = p.isr.filter((id) => id !== rng.pick(followers));
    else return noop;
    const epochOf = (id: number) => view.brokers.get(id)?.brokerEpoch ?? -1;
    const req = {
      brokerId: p.leader,
      brokerEpoch: epochOf(p.leader),
      topics: [
        {
          topicId,
          partitions: [
            {
              partitionIndex: p.partitionId,
              leaderEpoch: p.leaderEpoch,
              partitionEpoch: p.partitionEpoch,
              leaderRecoveryState: 0,
              newIsrWithEpochs: isr.map((id) => ({ brokerId: id, brokerEpoch: epochOf(id) })),
            },
          ],
        },
      ],
    };
    return ["alterPartition", (c, now) => c.alterPartition(req, now)];
  }
}
