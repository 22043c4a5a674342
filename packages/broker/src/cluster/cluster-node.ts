// startClusterNode: one node of a KRaft-style cluster. With the controller role it binds its
// CONTROLLER listener (the exact configured address) and runs the metadata quorum; with the broker
// role it registers with the active controller and heartbeats (BrokerLifecycleManager). In
// combined mode the node replays the committed metadata log itself, and its image is what
// MetadataPublisher subscribers see. close() is a controlled shutdown first (bounded), then stop.
import { randomUUID } from "node:crypto";
import type { DescribeQuorumRequest, DescribeQuorumResponse } from "@gregor/protocol";
import { pino, type Logger } from "pino";
import type { BrokerConfig } from "../config/broker-config.js";
import type { MetadataRecord } from "../controller/index.js";
import { CONTROLLER_HANDLERS } from "../controller/driver/controller-handlers.js";
import { ControllerListener } from "../controller/driver/controller-listener.js";
import type { ControllerServices } from "../controller/driver/controller-services.js";
import { QuorumRuntime, type QuorumRuntimeOptions } from "../controller/driver/quorum-runtime.js";
import { quorumIdentity } from "../controller/driver/raft-frame.js";
import { ControllerRaftTransport } from "../controller/driver/raft-transport.js";
import { describeQuorumResponse } from "../handlers/55-describe-quorum.js";
import { checkStorage } from "../metadata/meta-properties.js";
import { BrokerLifecycleManager } from "./broker-lifecycle.js";
import { clusterSettings, type ClusterSettings } from "./cluster-config.js";
import type { ClusterNode } from "./cluster-node-types.js";
import { ControllerChannel, type SendOptions } from "./controller-channel.js";
import { MetadataFetcher } from "./metadata-fetcher.js";
import { MetadataPublisher } from "./metadata-publisher.js";
import { outboundLocalAddress } from "./outbound-address.js";

export type { ClusterNode } from "./cluster-node-types.js";

const DESCRIBE_QUORUM = 55;
/** The whole close() stays well inside the 15 s a SIGTERM'd node has to exit. */
const CONTROLLED_SHUTDOWN_MAX_MS = 8000;

export interface ClusterNodeOptions {
  /** The cluster id the data dirs must have (checkStorage's expected id). */
  clusterId?: string;
  logger?: Logger;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

function notLeaderOfQuorum(res: DescribeQuorumResponse): boolean {
  return res.topics[0]?.partitions[0]?.errorCode === 6;
}

export async function startClusterNode(config: BrokerConfig, options: ClusterNodeOptions = {}): Promise<ClusterNode> {
  let settings = clusterSettings(config);
  const logger = options.logger ?? pino({ level: "silent" });
  // Unformatted dirs in a multi-node quorum, or dirs of another cluster or node, refuse to start.
  const { clusterId } = await checkStorage(
    config,
    options.clusterId !== undefined ? { clusterId: options.clusterId } : {},
  );
  const publisher = new MetadataPublisher(logger);
  // One id per process start, shared by the broker's registration and its own controller.
  const incarnationId = randomUUID();
  let runtime: QuorumRuntime | null = null;
  let listener: ControllerListener<ControllerServices> | null = null;
  if (settings.isController) {
    ({ runtime, listener } = await startControllerRole(config, settings, clusterId, publisher, logger, {
      ownIncarnationId: settings.isBroker ? incarnationId : null,
      ...(options.random !== undefined ? { random: options.random } : {}),
    }));
    // The embedded single node binds CONTROLLER on port 0: its one voter entry takes the bound port.
    const self = settings.voters[0]!;
    if (settings.voters.length === 1 && self.port === 0 && self.id === settings.nodeId)
      settings = { ...settings, voters: [{ ...self, port: listener.port }] };
  }
  let channel: ControllerChannel | null = null;
  let lifecycle: BrokerLifecycleManager | null = null;
  let fetcher: MetadataFetcher | null = null;
  if (settings.isBroker) {
    channel = new ControllerChannel({
      voters: settings.voters,
      clientId: `gregor-broker-${settings.nodeId}`,
      requestTimeoutMs: settings.requestTimeoutMs,
      localAddress: outboundLocalAddress(config),
    });
    const quorum = runtime;
    if (quorum === null) {
      // A broker-only node replays the log it fetches from the active controller.
      fetcher = new MetadataFetcher({ brokerId: settings.nodeId, channel, publisher, logger });
      fetcher.start();
    }
    const observer = fetcher;
    lifecycle = new BrokerLifecycleManager({
      channel,
      brokerId: settings.nodeId,
      clusterId,
      listeners: settings.brokerListeners,
      rack: settings.rack,
      heartbeatIntervalMs: settings.brokerHeartbeatIntervalMs,
      incarnationId,
      metadataOffset: () => quorum?.appliedOffset() ?? observer?.offset ?? 0,
      logger,
    });
    lifecycle.start();
  }
  logger.info(
    { nodeId: settings.nodeId, controller: settings.isController, broker: settings.isBroker, port: listener?.port },
    "cluster node started",
  );
  return clusterNode({ settings, clusterId, publisher, runtime, listener, channel, lifecycle, fetcher, logger });
}

/** The controller role: the metadata quorum, then its CONTROLLER listener on the exact address. */
async function startControllerRole(
  config: BrokerConfig,
  settings: ClusterSettings,
  clusterId: string,
  publisher: MetadataPublisher,
  logger: Logger,
  extra: Pick<QuorumRuntimeOptions, "ownIncarnationId" | "random">,
): Promise<{ runtime: QuorumRuntime; listener: ControllerListener<ControllerServices> }> {
  const address = settings.controllerListener!;
  const raftIdentity = quorumIdentity(clusterId, settings.voters);
  const transport = new ControllerRaftTransport({
    nodeId: settings.nodeId,
    voters: settings.voters,
    identity: raftIdentity,
    localAddress: address.host,
  });
  const runtime = await QuorumRuntime.start({
    settings,
    clusterId,
    transport,
    publisher,
    logger,
    defaultReplicationFactor: config["default.replication.factor"],
    numPartitions: config["num.partitions"],
    ...extra,
  });
  const services: ControllerServices = { nodeId: settings.nodeId, handlers: CONTROLLER_HANDLERS, runtime, logger };
  const listener = new ControllerListener({
    host: address.host,
    port: address.port,
    handlers: CONTROLLER_HANDLERS,
    services,
    logger,
    onRaftMessages: (msgs) => transport.deliver(msgs),
    raftIdentity,
    maxFrameBytes: config["socket.request.max.bytes"],
    maxInFlight: config["queued.max.requests"],
  });
  try {
    await listener.listen();
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return { runtime, listener };
}

interface NodeParts {
  settings: ClusterSettings;
  clusterId: string;
  publisher: MetadataPublisher;
  runtime: QuorumRuntime | null;
  listener: ControllerListener<ControllerServices> | null;
  channel: ControllerChannel | null;
  lifecycle: BrokerLifecycleManager | null;
  fetcher: MetadataFetcher | null;
  logger: Logger;
}

function clusterNode(parts: NodeParts): ClusterNode {
  const { settings, clusterId, publisher, runtime, listener, channel, lifecycle, fetcher, logger } = parts;
  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    if (lifecycle !== null) {
      const ok = await lifecycle.controlledShutdown(
        Math.min(CONTROLLED_SHUTDOWN_MAX_MS, settings.brokerSessionTimeoutMs),
      );
      if (!ok) logger.warn("controlled shutdown not confirmed by the controller in time; stopping anyway");
      // The channel first: a heartbeat still waiting on an absent controller fails now.
      channel?.close();
      await lifecycle.close();
    }
    channel?.close();
    await fetcher?.close();
    await runtime?.close();
    await listener?.close();
    logger.info({ nodeId: settings.nodeId }, "cluster node stopped");
  };
  return {
    nodeId: settings.nodeId,
    clusterId,
    settings,
    controllerPort: listener?.port ?? null,
    publisher,
    channel,
    lifecycle,
    image: () => runtime?.image() ?? publisher.image,
    activeControllerId: () => runtime?.activeControllerId ?? channel?.activeControllerId ?? -1,
    isActiveController: () => runtime?.isActive ?? false,
    quorumStatus: () => runtime?.status() ?? null,
    sendToController<T>(apiKey: number, body: unknown, options?: SendOptions<T>): Promise<T> {
      if (channel === null) return Promise.reject(new Error(`node ${settings.nodeId} has no broker role`));
      return channel.send<T>(apiKey, body, options);
    },
    appendRecords(records: MetadataRecord[]): Promise<void> {
      if (runtime === null) return Promise.reject(new Error(`node ${settings.nodeId} has no controller role`));
      return runtime.write(() => ({ records, response: undefined }));
    },
    async describeQuorum(req: DescribeQuorumRequest): Promise<DescribeQuorumResponse> {
      const status = runtime?.status() ?? null;
      if (status?.isLeader === true || channel === null) return describeQuorumResponse(req, 2, status, settings);
      return channel.send<DescribeQuorumResponse>(DESCRIBE_QUORUM, req, { isNotController: notLeaderOfQuorum });
    },
    close(): Promise<void> {
      closing ??= close();
      return closing;
    },
  };
}
