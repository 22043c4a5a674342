// Drives a QuorumController the way the runtime does: run an operation, commit its records as the
// next log entry (replay at the next offset), answer. Registration answers get the entry's offset.
import { Prng } from "@gregor/testkit";
import {
  type BrokerRegistrationResponse,
  type ControllerResult,
  type MetadataRecord,
  QuorumController,
  type QuorumControllerOptions,
} from "../../src/controller/index.js";

export const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";

export class Harness {
  readonly controller: QuorumController;
  offset = 0;
  nowMs = 1_000;

  constructor(options: Partial<QuorumControllerOptions> = {}, seed = 1) {
    this.controller = new QuorumController({ clusterId: CLUSTER_ID, random: new Prng(seed).random, ...options });
    this.commit(this.controller.bootstrap(CLUSTER_ID, new Map([["metadata.version", 25]])));
    this.controller.activate(this.nowMs);
  }

  get image() {
    return this.controller.image;
  }

  /** Commits records as one entry; returns its offset (or -1 when there was nothing to commit). */
  commit(records: MetadataRecord[]): number {
    if (records.length === 0) return -1;
    this.offset += 1;
    this.controller.replay(records, this.offset);
    return this.offset;
  }

  run<R>(result: ControllerResult<R>): R {
    const offset = this.commit(result.records);
    const response = result.response as R & Partial<BrokerRegistrationResponse>;
    if (response.brokerEpoch === -1 && response.errorCode === 0) response.brokerEpoch = offset;
    return result.response;
  }

  register(
    brokerId: number,
    rack: string | null = null,
    incarnationId = `inc-${brokerId}`,
  ): BrokerRegistrationResponse {
    return this.run(
      this.controller.registerBroker(
        {
          brokerId,
          clusterId: CLUSTER_ID,
          incarnationId,
          listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9090 + brokerId, securityProtocol: 0 }],
          features: [],
          rack,
        },
        this.nowMs,
      ),
    );
  }

  heartbeat(brokerId: number, options: { wantFence?: boolean; wantShutDown?: boolean; offset?: number } = {}) {
    const broker = this.image.brokers.get(brokerId);
    return this.run(
      this.controller.brokerHeartbeat(
        {
          brokerId,
          brokerEpoch: broker?.brokerEpoch ?? -1,
          currentMetadataOffset: options.offset ?? this.offset,
          wantFence: options.wantFence ?? false,
          wantShutDown: options.wantShutDown ?? false,
        },
        this.nowMs,
      ),
    );
  }

  /** Registers and unfences brokers (racks by index, if given). */
  brokers(ids: number[], racks?: (string | null)[]): void {
    ids.forEach((id, i) => {
      this.register(id, racks?.[i] ?? null);
      this.heartbeat(id);
    });
  }

  createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string> = {}) {
    const response = this.run(
      this.controller.createTopics(
        {
          topics: [
            {
              name,
              numPartitions,
              replicationFactor,
              assignments: [],
              configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
            },
          ],
          validateOnly: false,
        },
        this.nowMs,
      ),
    );
    return response.topics[0]!;
  }

  /** Brokers 1 and 2 and topic t with one partition on both; `first` leads it. */
  twoReplicaTopic(configs: Record<string, string> = {}): { first: number; second: number } {
    this.brokers([1, 2]);
    this.createTopic("t", 1, 2, configs);
    const first = this.partition("t", 0).leader;
    return { first, second: first === 1 ? 2 : 1 };
  }

  partition(topic: string, partitionId: number) {
    const p = this.image.topics.byName.get(topic)?.partitions[partitionId];
    if (p === undefined) throw new Error(`no partition ${topic}-${partitionId}`);
    return p;
  }

  topicId(topic: string): string {
    const t = this.image.topics.byName.get(topic);
    if (t === undefined) throw new Error(`no topic ${topic}`);
    return t.topicId;
  }
}
