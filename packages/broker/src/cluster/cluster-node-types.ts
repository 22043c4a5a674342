// What a running cluster node offers the broker (startClusterNode in cluster-node.ts returns it).
import type { DescribeQuorumRequest, DescribeQuorumResponse } from "@gregor/protocol";
import type { MetadataImage, MetadataRecord } from "../controller/index.js";
import type { QuorumStatus } from "../controller/driver/quorum-status.js";
import type { BrokerLifecycleManager } from "./broker-lifecycle.js";
import type { ClusterSettings } from "./cluster-config.js";
import type { ControllerChannel, SendOptions } from "./controller-channel.js";
import type { MetadataPublisher } from "./metadata-publisher.js";

export interface ClusterNode {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly settings: ClusterSettings;
  /** Bound CONTROLLER port (controller role), else null. */
  readonly controllerPort: number | null;
  readonly publisher: MetadataPublisher;
  /** Broker role: the client to the active controller. */
  readonly channel: ControllerChannel | null;
  readonly lifecycle: BrokerLifecycleManager | null;
  /** This node's current MetadataImage. */
  image(): MetadataImage;
  /** The active controller as this node knows it, -1 if none. */
  activeControllerId(): number;
  /** This node is the active controller and serves writes (raft leader, log replayed). */
  isActiveController(): boolean;
  /** This node's view of the quorum (controller role), else null. */
  quorumStatus(): QuorumStatus | null;
  /** Sends a request to the active controller (broker role); see ControllerChannel.send. */
  sendToController<T>(apiKey: number, body: unknown, options?: SendOptions<T>): Promise<T>;
  /** Active controller only: commits records as given (the broker's one-time topics.json import). */
  appendRecords(records: MetadataRecord[]): Promise<void>;
  /** DescribeQuorum as the broker listener answers it: locally when leading, else forwarded. */
  describeQuorum(req: DescribeQuorumRequest): Promise<DescribeQuorumResponse>;
  close(): Promise<void>;
}
