// The configuration the broker's cluster node runs with. The broker listener's port 0 becomes the
// bound port (the node registers the address clients can reach). The embedded single node (no
// controller.quorum.voters, Gregor's `startBroker()` / `pnpm start` default, see config/kraft.ts)
// becomes Kafka 4's combined mode: a one-voter quorum of itself on a CONTROLLER listener bound to
// a free loopback port. An in-memory broker keeps its metadata log in a temp dir.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrokerConfig, buildBrokerConfig, type ConfigOverrides, type Listener } from "../config/broker-config.js";
import { controllerListenerNames, isEmbeddedQuorum, listeners } from "../config/kraft.js";

/** Re-applies a built config with overrides on top (unknown keys kept). */
export function withOverrides(config: BrokerConfig, overrides: ConfigOverrides): BrokerConfig {
  const { unknown, ...known } = config;
  return buildBrokerConfig({ ...unknown, ...(known as ConfigOverrides) }, overrides);
}

function formatListener(l: Listener): string {
  const host = l.host.includes(":") ? `[${l.host}]` : l.host;
  return `${l.name}://${host}:${l.port}`;
}

export interface NodeConfig {
  config: BrokerConfig;
  /** Removes what the node config created (the in-memory broker's metadata dir). */
  cleanup(): Promise<void>;
}

/**
 * The cluster node's config for a broker whose listener `brokerListener` is bound on `boundPort`.
 * `inMemory`: log.dirs is ":memory:", so the metadata log goes to a fresh temp dir.
 */
export async function nodeConfig(
  config: BrokerConfig,
  brokerListener: Listener,
  boundPort: number,
  inMemory: boolean,
): Promise<NodeConfig> {
  const bound = listeners(config).map((l) =>
    l.name === brokerListener.name && l.port === 0 ? { ...l, port: boundPort } : l,
  );
  const overrides: ConfigOverrides = {};
  if (isEmbeddedQuorum(config)) {
    const name = controllerListenerNames(config)[0] ?? "CONTROLLER";
    if (!bound.some((l) => l.name === name)) bound.push({ name, host: "127.0.0.1", port: 0 });
    const controller = bound.find((l) => l.name === name)!;
    const host = controller.host === "" || controller.host === "0.0.0.0" ? "127.0.0.1" : controller.host;
    overrides["controller.quorum.voters"] = `${config["node.id"]}@${host}:${controller.port}`;
    overrides["controller.listener.names"] = name;
  }
  overrides.listeners = bound.map(formatListener).join(",");
  let tempDir: string | null = null;
  if (inMemory) {
    tempDir = await mkdtemp(join(tmpdir(), "gregor-metadata-"));
    overrides["log.dirs"] = tempDir;
    overrides["metadata.log.dir"] = tempDir;
  }
  return {
    config: withOverrides(config, overrides),
    cleanup: async () => {
      if (tempDir !== null) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
