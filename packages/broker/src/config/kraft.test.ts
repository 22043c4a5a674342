import { describe, expect, it } from "vitest";
import { buildBrokerConfig, ConfigError, type ConfigOverrides } from "./broker-config.js";
import {
  brokerListener,
  configWarnings,
  controllerListener,
  effectiveAdvertisedListeners,
  isSingleNodeQuorum,
  metadataLogDir,
  parseQuorumVoters,
  processRoles,
} from "./kraft.js";

/** A node of the 3-node layout (combined mode on 127.0.0.1N, voters 1..3). */
function node(id: number, extra: ConfigOverrides = {}): ConfigOverrides {
  return {
    "process.roles": "broker,controller",
    "node.id": id,
    "controller.quorum.voters": "1@127.0.0.11:9093,2@127.0.0.12:9093,3@127.0.0.13:9093",
    listeners: `PLAINTEXT://127.0.0.1${id}:9092,CONTROLLER://127.0.0.1${id}:9093`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1${id}:9092`,
    "controller.listener.names": "CONTROLLER",
    ...extra,
  };
}

function errorOf(overrides: ConfigOverrides): ConfigError {
  try {
    buildBrokerConfig(overrides);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(overrides)}`);
}

describe("KRaft config keys", () => {
  it("has Kafka's defaults", () => {
    const c = buildBrokerConfig();
    expect(processRoles(c)).toEqual(["broker", "controller"]);
    expect(c["controller.listener.names"]).toBe("CONTROLLER");
    expect(c["listener.security.protocol.map"]).toBe(
      "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
    );
    expect(c["inter.broker.listener.name"]).toBe("PLAINTEXT");
    expect(c["broker.session.timeout.ms"]).toBe(9000);
    expect(c["broker.heartbeat.interval.ms"]).toBe(2000);
    expect(c["controller.quorum.election.timeout.ms"]).toBe(1000);
    expect(c["controller.quorum.fetch.timeout.ms"]).toBe(2000);
    expect(c["controller.quorum.election.backoff.max.ms"]).toBe(1000);
    expect(c["controller.quorum.append.linger.ms"]).toBe(25);
    expect(c["controller.quorum.request.timeout.ms"]).toBe(2000);
    expect(c["metadata.log.max.record.bytes.between.snapshots"]).toBe(20971520);
    expect(c["metadata.log.max.snapshot.interval.ms"]).toBe(3600000);
    expect(c["metadata.max.idle.interval.ms"]).toBe(500);
    expect(c["offsets.topic.replication.factor"]).toBe(3);
    expect(c["transaction.state.log.replication.factor"]).toBe(3);
    expect(c["unclean.leader.election.enable"]).toBe(false);
    expect(c["auto.leader.rebalance.enable"]).toBe(true);
    expect(c["leader.imbalance.check.interval.seconds"]).toBe(300);
    expect(c["replica.lag.time.max.ms"]).toBe(30000);
    expect(c["replica.fetch.max.bytes"]).toBe(1048576);
    expect(c["replica.fetch.wait.max.ms"]).toBe(500);
    expect(c["replica.fetch.min.bytes"]).toBe(1);
    expect(c["num.replica.fetchers"]).toBe(1);
    expect(c["replica.socket.timeout.ms"]).toBe(30000);
    expect(c["replica.fetch.backoff.ms"]).toBe(1000);
    expect(parseQuorumVoters(c)).toEqual([]);
    expect(isSingleNodeQuorum(c)).toBe(true);
    expect(brokerListener(c)).toEqual({ name: "PLAINTEXT", host: "", port: 9092 });
    expect(controllerListener(c)).toBeNull();
    expect(metadataLogDir(c)).toBe("./data");
  });

  it("parses the voters and finds the controller and broker listeners", () => {
    const c = buildBrokerConfig(node(2, { "metadata.log.dir": "/meta" }));
    expect(parseQuorumVoters(c)).toEqual([
      { id: 1, host: "127.0.0.11", port: 9093 },
      { id: 2, host: "127.0.0.12", port: 9093 },
      { id: 3, host: "127.0.0.13", port: 9093 },
    ]);
    expect(controllerListener(c)).toEqual({ name: "CONTROLLER", host: "127.0.0.12", port: 9093 });
    expect(brokerListener(c)).toEqual({ name: "PLAINTEXT", host: "127.0.0.12", port: 9092 });
    expect(effectiveAdvertisedListeners(c)).toEqual([{ name: "PLAINTEXT", host: "127.0.0.12", port: 9092 }]);
    expect(isSingleNodeQuorum(c)).toBe(false);
    expect(metadataLogDir(c)).toBe("/meta");
    const ipv6 = buildBrokerConfig(node(1, { "controller.quorum.voters": "1@[::1]:9093" }));
    expect(parseQuorumVoters(ipv6)).toEqual([{ id: 1, host: "::1", port: 9093 }]);
    expect(isSingleNodeQuorum(ipv6)).toBe(true);
  });

  it("rejects bad values naming the key, the value and what is allowed", () => {
    for (const [key, value] of [
      ["process.roles", "worker"],
      ["process.roles", "broker,broker"],
      ["process.roles", ""],
      ["controller.quorum.voters", "1@localhost"],
      ["controller.quorum.voters", "x@localhost:9093"],
      ["controller.quorum.voters", "1@localhost:9093,1@otherhost:9093"],
      ["controller.quorum.voters", "1@localhost:99999"],
      ["controller.quorum.bootstrap.servers", "localhost"],
      ["listener.security.protocol.map", "PLAINTEXT:TLS"],
      ["listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093"],
      ["broker.session.timeout.ms", "0"],
      ["unclean.leader.election.enable", "maybe"],
      ["replica.fetch.max.bytes", "-1"],
    ] as const) {
      const e = errorOf({ [key]: value });
      expect(e.key).toBe(key);
      expect(e.message).toContain(`Invalid value ${JSON.stringify(value)} for configuration ${key}: `);
      expect(e.message.length).toBeGreaterThan(
        `Invalid value ${JSON.stringify(value)} for configuration ${key}: `.length,
      );
    }
    expect(errorOf({ "controller.quorum.voters": "1@localhost" }).message).toContain("{id}@{host}:{port}");
  });

  it("a controller must be one of the voters (Kafka's message)", () => {
    expect(errorOf(node(4)).message).toBe(
      "If process.roles contains the 'controller' role, the node id 4 must be included in the set of voters controller.quorum.voters=[1, 2, 3]",
    );
    expect(errorOf({ ...node(4), "process.roles": "controller", listeners: "CONTROLLER://:9093" }).key).toBe(
      "controller.quorum.voters",
    );
  });

  it("a broker-only node must not be a voter, nor have a controller listener", () => {
    const brokerOnly = { ...node(4), "process.roles": "broker", listeners: "PLAINTEXT://:9092" };
    expect(buildBrokerConfig(brokerOnly)["node.id"]).toBe(4);
    expect(errorOf({ ...brokerOnly, "node.id": 2 }).message).toBe(
      "If process.roles contains just the 'broker' role, the node id 2 must not be included in the set of voters controller.quorum.voters=[1, 2, 3]",
    );
    expect(errorOf({ ...brokerOnly, listeners: "PLAINTEXT://:9092,CONTROLLER://:9093" }).message).toBe(
      "controller.listener.names must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role",
    );
    expect(errorOf({ ...brokerOnly, "controller.listener.names": "" }).message).toBe(
      "controller.listener.names must contain at least one value when running KRaft with just the broker role",
    );
  });

  it("a broker-only node needs voters or bootstrap servers", () => {
    expect(errorOf({ "process.roles": "broker" }).message).toBe(
      "If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of controllers.",
    );
    const c = buildBrokerConfig({ "process.roles": "broker", "controller.quorum.bootstrap.servers": "localhost:9093" });
    expect(isSingleNodeQuorum(c)).toBe(false);
  });

  it("the controller role needs a listener named in controller.listener.names", () => {
    expect(errorOf(node(1, { listeners: "PLAINTEXT://127.0.0.11:9092" })).message).toBe(
      "controller.listener.names must contain at least one value appearing in the 'listeners' configuration when running the KRaft controller role",
    );
    expect(errorOf(node(1, { "controller.listener.names": "CONTROLLER,OTHER" })).message).toBe(
      "controller.listener.names must only contain values appearing in the 'listeners' configuration when running the KRaft controller role",
    );
  });

  it("a controller-only node has only controller listeners and no advertised listeners", () => {
    const controllerOnly = { ...node(1), "process.roles": "controller", "advertised.listeners": "" };
    expect(errorOf(controllerOnly).message).toBe(
      "The listeners config must only contain KRaft controller listeners from controller.listener.names when process.roles=controller",
    );
    const ok = { ...controllerOnly, listeners: "CONTROLLER://127.0.0.11:9093" };
    expect(brokerListener(buildBrokerConfig(ok))).toBeNull();
    expect(errorOf({ ...ok, "advertised.listeners": "PLAINTEXT://h:1" }).message).toBe(
      "The advertised.listeners config must be empty when process.roles=controller",
    );
  });

  it("checks advertised and inter-broker listeners", () => {
    expect(errorOf(node(1, { "advertised.listeners": "CONTROLLER://127.0.0.11:9093" })).message).toContain(
      "The advertised.listeners config must not contain KRaft controller listeners from controller.listener.names",
    );
    expect(errorOf(node(1, { "advertised.listeners": "PLAINTEXT://0.0.0.0:9092" })).message).toBe(
      "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.",
    );
    expect(errorOf(node(1, { "advertised.listeners": "EXTERNAL://h:9092" })).message).toContain(
      "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners",
    );
    expect(errorOf(node(1, { "inter.broker.listener.name": "INTERNAL" })).message).toBe(
      "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are PLAINTEXT",
    );
    expect(errorOf({ listeners: "CONTROLLER://:9093" }).message).toBe(
      "There must be at least one advertised listener. Perhaps all listeners appear in controller.listener.names?",
    );
  });

  it("every listener needs a PLAINTEXT security protocol", () => {
    expect(errorOf({ listeners: "INTERNAL://:9092", "inter.broker.listener.name": "INTERNAL" }).message).toContain(
      "No security protocol defined for listener INTERNAL",
    );
    const mapped = buildBrokerConfig({
      listeners: "INTERNAL://:9092",
      "inter.broker.listener.name": "INTERNAL",
      "listener.security.protocol.map": "INTERNAL:PLAINTEXT",
    });
    expect(brokerListener(mapped)?.name).toBe("INTERNAL");
    expect(errorOf({ listeners: "SSL://:9093", "inter.broker.listener.name": "SSL" }).message).toContain(
      "Listener SSL uses security protocol SSL",
    );
  });

  it("checks timeouts against each other", () => {
    expect(errorOf({ "replica.fetch.wait.max.ms": 40000 }).message).toBe(
      "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR",
    );
    expect(errorOf({ "replica.socket.timeout.ms": 100 }).key).toBe("replica.socket.timeout.ms");
    expect(errorOf({ "broker.heartbeat.interval.ms": 9000 }).key).toBe("broker.heartbeat.interval.ms");
  });

  it("warns about Kafka keys it ignores and about unknown keys", () => {
    const c = buildBrokerConfig({ "num.network.threads": "3", "ssl.keystore.location": "/k", "nmu.partitions": 3 });
    expect(configWarnings(c)).toEqual([
      {
        key: "num.network.threads",
        message: "Kafka configuration num.network.threads is not supported by Gregor yet: accepted and ignored",
      },
      {
        key: "ssl.keystore.location",
        message: "Kafka configuration ssl.keystore.location is not supported by Gregor yet: accepted and ignored",
      },
      {
        key: "nmu.partitions",
        message: "Unknown configuration nmu.partitions: ignored (neither a Kafka nor a Gregor broker key)",
      },
    ]);
    const brokerOnly = buildBrokerConfig({
      ...node(4),
      "process.roles": "broker",
      listeners: "PLAINTEXT://:9092",
      "controller.listener.names": "CONTROLLER,OTHER",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,OTHER:PLAINTEXT",
    });
    expect(configWarnings(brokerOnly).map((w) => w.key)).toEqual(["controller.listener.names"]);
  });
});
