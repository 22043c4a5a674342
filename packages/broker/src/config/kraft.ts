// Node identity, roles, the controller quorum and listeners: typed accessors for the runtime, and
// the checks across keys that Kafka's KafkaConfig runs at start-up (KIP-500/KIP-631 roles,
// KIP-595 static voters), with Kafka's messages where Kafka has one.
//
// Gregor addition: with no controller.quorum.voters and no controller.quorum.bootstrap.servers, a
// node with the controller role is the embedded single node (startBroker(), `pnpm start`): its own
// one-voter quorum, needing no CONTROLLER listener. Kafka would refuse this config.
import type { BrokerConfig } from "./broker-keys.js";
import { isUnsupportedKafkaKey } from "./kafka-keys.js";
import {
  type HostPort,
  type Listener,
  type ProcessRole,
  parseHostPorts,
  parseListeners,
  parseNames,
  parseRoles,
  parseSecurityProtocolMap,
  parseVoters,
  type QuorumVoter,
  type SecurityProtocol,
} from "./parsers.js";
import { ConfigError } from "./schema.js";

export function processRoles(config: BrokerConfig): ProcessRole[] {
  return parseRoles(config["process.roles"]) ?? [];
}

export function hasRole(config: BrokerConfig, role: ProcessRole): boolean {
  return processRoles(config).includes(role);
}

/** `controller.quorum.voters` as a typed list (empty for the embedded single node). */
export function parseQuorumVoters(config: BrokerConfig): QuorumVoter[] {
  return parseVoters(config["controller.quorum.voters"]) ?? [];
}

export function quorumBootstrapServers(config: BrokerConfig): HostPort[] {
  return parseHostPorts(config["controller.quorum.bootstrap.servers"]) ?? [];
}

export function controllerListenerNames(config: BrokerConfig): string[] {
  return parseNames(config["controller.listener.names"]) ?? [];
}

export function securityProtocolMap(config: BrokerConfig): Map<string, SecurityProtocol> {
  return parseSecurityProtocolMap(config["listener.security.protocol.map"]) ?? new Map();
}

export function listeners(config: BrokerConfig): Listener[] {
  return parseListeners(config.listeners) ?? [];
}

/** advertised.listeners as given (empty when unset). */
export function advertisedListeners(config: BrokerConfig): Listener[] {
  return config["advertised.listeners"].trim() === "" ? [] : (parseListeners(config["advertised.listeners"]) ?? []);
}

/** This node's controller listener as bound: the first of controller.listener.names in listeners. */
export function controllerListener(config: BrokerConfig): Listener | null {
  const bound = listeners(config);
  for (const name of controllerListenerNames(config)) {
    const listener = bound.find((l) => l.name === name);
    if (listener !== undefined) return listener;
  }
  return null;
}

/** The listeners a broker serves clients on (every listener but the controller ones), as bound. */
export function brokerListeners(config: BrokerConfig): Listener[] {
  const names = controllerListenerNames(config);
  return listeners(config).filter((l) => !names.includes(l.name));
}

/** The broker's listener as bound: inter.broker.listener.name's, else the first broker listener. */
export function brokerListener(config: BrokerConfig): Listener | null {
  const candidates = brokerListeners(config);
  return candidates.find((l) => l.name === config["inter.broker.listener.name"]) ?? candidates[0] ?? null;
}

/**
 * What the broker registers for other brokers and clients (Kafka's effectiveAdvertisedListeners):
 * advertised.listeners, else the broker listeners as bound.
 */
export function effectiveAdvertisedListeners(config: BrokerConfig): Listener[] {
  const advertised = advertisedListeners(config);
  return advertised.length > 0 ? advertised : brokerListeners(config);
}

export function logDirs(config: BrokerConfig): string[] {
  return config["log.dirs"]
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "");
}

/** Where the metadata log lives: metadata.log.dir, else the first of log.dirs (Kafka's rule). */
export function metadataLogDir(config: BrokerConfig): string {
  const dir = config["metadata.log.dir"]?.trim() ?? "";
  return dir !== "" ? dir : logDirs(config)[0]!;
}

/** No voters and no bootstrap servers: the embedded single node (a controller that is its own quorum). */
export function isEmbeddedQuorum(config: BrokerConfig): boolean {
  return parseQuorumVoters(config).length === 0 && quorumBootstrapServers(config).length === 0;
}

/** A quorum of one that is this node: it may format its own storage on first start. */
export function isSingleNodeQuorum(config: BrokerConfig): boolean {
  if (!hasRole(config, "controller")) return false;
  if (isEmbeddedQuorum(config)) return true;
  const voters = parseQuorumVoters(config);
  return voters.length === 1 && voters[0]!.id === config["node.id"];
}

const ROLES = "process.roles";
const VOTERS = "controller.quorum.voters";
const NAMES = "controller.listener.names";

function fail(key: string, value: unknown, allowed: string, message: string): never {
  throw new ConfigError(key, value, allowed, message);
}

function voterIds(config: BrokerConfig): string {
  return `[${parseQuorumVoters(config)
    .map((v) => v.id)
    .join(", ")}]`;
}

function checkQuorum(config: BrokerConfig): void {
  const voters = parseQuorumVoters(config);
  const isController = hasRole(config, "controller");
  if (isEmbeddedQuorum(config) && !isController) {
    fail(
      VOTERS,
      "",
      "a non-empty list of {id}@{host}:{port}",
      `If using ${ROLES}, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or ${VOTERS} must contain a parseable set of controllers.`,
    );
  }
  if (isController && voters.length === 0 && !isEmbeddedQuorum(config)) {
    fail(
      VOTERS,
      "",
      "a non-empty list of {id}@{host}:{port}",
      `Gregor's controllers need a static quorum (KIP-595): set ${VOTERS}; dynamic quorums from controller.quorum.bootstrap.servers alone (KIP-853) are not supported yet.`,
    );
  }
  if (voters.length === 0) return;
  const nodeId = config["node.id"];
  const listed = voters.some((v) => v.id === nodeId);
  if (isController && !listed) {
    fail(
      VOTERS,
      config[VOTERS],
      `a list that includes node.id ${nodeId}`,
      `If ${ROLES} contains the 'controller' role, the node id ${nodeId} must be included in the set of voters ${VOTERS}=${voterIds(config)}`,
    );
  }
  if (!isController && listed) {
    fail(
      VOTERS,
      config[VOTERS],
      `a list without node.id ${nodeId}`,
      `If ${ROLES} contains just the 'broker' role, the node id ${nodeId} must not be included in the set of voters ${VOTERS}=${voterIds(config)}`,
    );
  }
}

function checkControllerListeners(config: BrokerConfig): void {
  const names = controllerListenerNames(config);
  const bound = listeners(config).map((l) => l.name);
  const allowed = `listener names that appear in listeners (${bound.join(",")})`;
  if (hasRole(config, "controller") && !isEmbeddedQuorum(config)) {
    if (!names.some((n) => bound.includes(n))) {
      fail(
        NAMES,
        config[NAMES],
        allowed,
        `${NAMES} must contain at least one value appearing in the 'listeners' configuration when running the KRaft controller role`,
      );
    }
    if (!names.every((n) => bound.includes(n))) {
      fail(
        NAMES,
        config[NAMES],
        allowed,
        `${NAMES} must only contain values appearing in the 'listeners' configuration when running the KRaft controller role`,
      );
    }
  }
  if (!hasRole(config, "controller")) {
    if (names.length === 0) {
      fail(
        NAMES,
        config[NAMES],
        "at least one listener name",
        `${NAMES} must contain at least one value when running KRaft with just the broker role`,
      );
    }
    if (names.some((n) => bound.includes(n))) {
      fail(
        "listeners",
        config.listeners,
        `listeners without ${names.join(",")}`,
        `${NAMES} must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role`,
      );
    }
  }
}

function checkControllerOnly(config: BrokerConfig): void {
  if (hasRole(config, "broker")) return;
  if (advertisedListeners(config).length > 0) {
    fail(
      "advertised.listeners",
      config["advertised.listeners"],
      "empty",
      `The advertised.listeners config must be empty when ${ROLES}=controller`,
    );
  }
  if (brokerListeners(config).length > 0) {
    fail(
      "listeners",
      config.listeners,
      `only listeners named in ${NAMES}`,
      `The listeners config must only contain KRaft controller listeners from ${NAMES} when ${ROLES}=controller`,
    );
  }
}

function checkBrokerListeners(config: BrokerConfig): void {
  if (!hasRole(config, "broker")) return;
  const names = controllerListenerNames(config);
  const advertised = effectiveAdvertisedListeners(config);
  const advertisedNames = advertised.map((l) => l.name);
  const key = "advertised.listeners";
  if (advertisedNames.some((n) => names.includes(n))) {
    fail(
      key,
      config[key],
      `listeners not named in ${NAMES}`,
      `The advertised.listeners config must not contain KRaft controller listeners from ${NAMES} when ${ROLES} contains the broker role because Kafka clients that send requests via advertised listeners do not send requests to KRaft controllers -- they only send requests to KRaft brokers.`,
    );
  }
  if (advertised.length === 0) {
    fail(
      "listeners",
      config.listeners,
      `at least one listener not named in ${NAMES}`,
      `There must be at least one advertised listener. Perhaps all listeners appear in ${NAMES}?`,
    );
  }
  const boundNames = listeners(config).map((l) => l.name);
  if (!advertisedNames.every((n) => boundNames.includes(n))) {
    fail(
      key,
      config[key],
      `names among ${boundNames.join(", ")}`,
      `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${advertisedNames.join(",")} The valid options based on the current configuration are ${boundNames.join(", ")}`,
    );
  }
  if (advertisedListeners(config).some((l) => l.host === "0.0.0.0")) {
    fail(
      key,
      config[key],
      "routable addresses",
      "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.",
    );
  }
  const inter = config["inter.broker.listener.name"];
  if (!advertisedNames.includes(inter)) {
    fail(
      "inter.broker.listener.name",
      inter,
      advertisedNames.join(","),
      `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${advertisedNames.join(",")}`,
    );
  }
}

function checkSecurityProtocols(config: BrokerConfig): void {
  const map = securityProtocolMap(config);
  const key = "listener.security.protocol.map";
  for (const listener of listeners(config)) {
    const protocol = map.get(listener.name);
    if (protocol === undefined) {
      fail(
        key,
        config[key],
        `a NAME:PROTOCOL entry for ${listener.name}`,
        `No security protocol defined for listener ${listener.name} (${key}=${config[key]})`,
      );
    }
    if (protocol !== "PLAINTEXT") {
      fail(
        key,
        config[key],
        "PLAINTEXT",
        `Listener ${listener.name} uses security protocol ${protocol}; Gregor serves PLAINTEXT listeners only so far (${key}=${config[key]})`,
      );
    }
  }
}

function checkTimeouts(config: BrokerConfig): void {
  const wait = config["replica.fetch.wait.max.ms"];
  if (wait > config["replica.lag.time.max.ms"]) {
    fail(
      "replica.fetch.wait.max.ms",
      wait,
      `at most replica.lag.time.max.ms (${config["replica.lag.time.max.ms"]})`,
      "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR",
    );
  }
  if (config["replica.socket.timeout.ms"] < wait) {
    fail(
      "replica.socket.timeout.ms",
      config["replica.socket.timeout.ms"],
      `at least replica.fetch.wait.max.ms (${wait})`,
      "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts",
    );
  }
  const heartbeat = config["broker.heartbeat.interval.ms"];
  const session = config["broker.session.timeout.ms"];
  if (heartbeat >= session) {
    const allowed = `less than broker.session.timeout.ms (${session})`;
    fail(
      "broker.heartbeat.interval.ms",
      heartbeat,
      allowed,
      `Invalid value ${heartbeat} for configuration broker.heartbeat.interval.ms: ${allowed}, or every broker is fenced between two heartbeats`,
    );
  }
}

/** The start-up checks across keys. Throws ConfigError (one line naming the key and the value). */
export function validateKRaftConfig(config: BrokerConfig): void {
  checkQuorum(config);
  checkControllerListeners(config);
  checkControllerOnly(config);
  checkBrokerListeners(config);
  checkSecurityProtocols(config);
  checkTimeouts(config);
}

export interface ConfigWarning {
  key: string;
  message: string;
}

/** What start-up logs as warnings: unknown keys, Kafka keys Gregor ignores, ignored settings. */
export function configWarnings(config: BrokerConfig): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  for (const key of Object.keys(config.unknown)) {
    out.push({
      key,
      message: isUnsupportedKafkaKey(key)
        ? `Kafka configuration ${key} is not supported by Gregor yet: accepted and ignored`
        : `Unknown configuration ${key}: ignored (neither a Kafka nor a Gregor broker key)`,
    });
  }
  const names = controllerListenerNames(config);
  if (!hasRole(config, "controller") && names.length > 1) {
    out.push({
      key: NAMES,
      message: `${NAMES} has multiple entries; only the first will be used since ${ROLES}=broker: [${names.join(", ")}]`,
    });
  }
  return out;
}
