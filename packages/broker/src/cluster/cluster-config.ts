// The cluster settings the runtime needs, from the typed broker config (C2's accessors in
// config/kraft.ts).
import { ConfigError, type BrokerConfig, type Listener, type QuorumVoter } from "../config/broker-config.js";
import {
  controllerListener,
  effectiveAdvertisedListeners,
  hasRole,
  metadataLogDir,
  parseQuorumVoters,
  quorumBootstrapServers,
  validateKRaftConfig,
} from "../config/kraft.js";

export type { QuorumVoter } from "../config/broker-config.js";

export interface ClusterSettings {
  nodeId: number;
  isBroker: boolean;
  isController: boolean;
  voters: QuorumVoter[];
  /** This node's CONTROLLER listener (controller role only). */
  controllerListener: Listener | null;
  /** The listeners a broker registers (advertised addresses, controller listeners excluded). */
  brokerListeners: Listener[];
  rack: string | null;
  /** Where the metadata log lives: metadata.log.dir, else the first of log.dirs. */
  metadataLogDir: string;
  brokerSessionTimeoutMs: number;
  brokerHeartbeatIntervalMs: number;
  electionTimeoutMs: number;
  requestTimeoutMs: number;
  snapshotBytes: number;
  /**
   * Gregor-specific: a broker whose controller connection closed and did not come back within
   * this grace is fenced at once instead of after its session timeout (crash failover). 0 = off.
   */
  connectionGraceMs: number;
  /** auto.leader.rebalance.enable, leader.imbalance.check.interval.seconds (in ms), leader.imbalance.per.broker.percentage. */
  autoLeaderRebalanceEnable: boolean;
  leaderImbalanceCheckIntervalMs: number;
  leaderImbalancePerBrokerPercentage: number;
}

/** Validates the KRaft keys together (C2's checks) and returns what a cluster node runs with. */
export function clusterSettings(config: BrokerConfig): ClusterSettings {
  validateKRaftConfig(config);
  const isController = hasRole(config, "controller");
  let voters = parseQuorumVoters(config);
  // A broker-only node may know the controllers by controller.quorum.bootstrap.servers alone
  // (KIP-853): their ids are unknown (negative here) until DescribeQuorum names the leader.
  if (voters.length === 0 && !isController) {
    voters = quorumBootstrapServers(config).map((server, i) => ({ id: -(i + 1), ...server }));
  }
  if (voters.length === 0) {
    throw new ConfigError(
      "controller.quorum.voters",
      "",
      "a non-empty list of id@host:port for a cluster node (or controller.quorum.bootstrap.servers for a broker)",
    );
  }
  return {
    nodeId: config["node.id"],
    isBroker: hasRole(config, "broker"),
    isController,
    voters,
    controllerListener: isController ? controllerListener(config) : null,
    brokerListeners: effectiveAdvertisedListeners(config).map((l) => ({
      ...l,
      host: l.host === "" || l.host === "0.0.0.0" ? "localhost" : l.host,
    })),
    rack: config["broker.rack"],
    metadataLogDir: metadataLogDir(config),
    brokerSessionTimeoutMs: config["broker.session.timeout.ms"],
    brokerHeartbeatIntervalMs: config["broker.heartbeat.interval.ms"],
    electionTimeoutMs: config["controller.quorum.election.timeout.ms"],
    requestTimeoutMs: config["controller.quorum.request.timeout.ms"],
    snapshotBytes: config["metadata.log.max.record.bytes.between.snapshots"],
    connectionGraceMs: config["gregor.controller.connection.grace.ms"],
    autoLeaderRebalanceEnable: config["auto.leader.rebalance.enable"],
    leaderImbalanceCheckIntervalMs: config["leader.imbalance.check.interval.seconds"] * 1000,
    leaderImbalancePerBrokerPercentage: config["leader.imbalance.per.broker.percentage"],
  };
}
