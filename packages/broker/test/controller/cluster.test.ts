import { ErrorCode } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { CLUSTER_ID, Harness } from "./helpers.js";

describe("registerBroker", () => {
  it("registers fenced with the entry offset as epoch", () => {
    const h = new Harness();
    const r = h.register(1);
    expect(r).toEqual({ errorCode: 0, errorMessage: null, brokerEpoch: h.offset });
    expect(h.image.brokers.get(1)).toMatchObject({ brokerEpoch: h.offset, fenced: true, inControlledShutdown: false });
  });

  it("refuses another cluster's broker with INCONSISTENT_CLUSTER_ID", () => {
    const h = new Harness();
    const result = h.controller.registerBroker(
      { brokerId: 1, clusterId: "other", incarnationId: "x", listeners: [], features: [], rack: null },
      h.nowMs,
    );
    expect(result.records).toEqual([]);
    expect(result.response.errorCode).toBe(ErrorCode.INCONSISTENT_CLUSTER_ID);
    expect(result.response.errorMessage).toContain(CLUSTER_ID);
  });

  it("refuses a broker that does not support the finalized metadata.version", () => {
    const h = new Harness();
    const result = h.controller.registerBroker(
      {
        brokerId: 1,
        clusterId: CLUSTER_ID,
        incarnationId: "x",
        listeners: [],
        features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: 20 }],
        rack: null,
      },
      h.nowMs,
    );
    expect(result.records).toEqual([]);
    expect(result.response.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(result.response.errorMessage).toContain("finalized version 25 of metadata.version");
  });

  it("refuses a new incarnation while the old session lives, accepts it after", () => {
    const h = new Harness();
    h.brokers([1]);
    expect(h.register(1, null, "second").errorCode).toBe(ErrorCode.DUPLICATE_BROKER_REGISTRATION);
    h.nowMs += 9_000;
    const r = h.register(1, null, "second");
    expect(r.errorCode).toBe(0);
    expect(h.image.brokers.get(1)).toMatchObject({ incarnationId: "second", brokerEpoch: h.offset, fenced: true });
  });

  it("a retried registration of the same incarnation keeps the epoch and fencing state", () => {
    const h = new Harness();
    h.brokers([1]);
    const epoch = h.image.brokers.get(1)!.brokerEpoch;
    const r = h.register(1);
    expect(r.brokerEpoch).toBe(epoch);
    expect(h.image.brokers.get(1)).toMatchObject({ brokerEpoch: epoch, fenced: false });
  });

  it("a new incarnation of an unfenced broker takes it out of ISRs and leaderships", () => {
    const h = new Harness();
    h.brokers([1, 2]);
    h.createTopic("t", 2, 2);
    h.nowMs += 9_000;
    h.heartbeat(2);
    h.register(1, null, "restarted");
    for (const p of h.image.topics.byName.get("t")!.partitions) {
      expect(p.leader).toBe(2);
      expect(p.isr).toEqual([2]);
    }
  });
});

describe("bootstrap and snapshots", () => {
  it("writes the FeatureLevel records once, into an empty log", () => {
    const h = new Harness();
    expect(h.image.features).toEqual(new Map([["metadata.version", 25]]));
    expect(h.controller.bootstrap(CLUSTER_ID, new Map([["metadata.version", 26]]))).toEqual([]);
    expect(() => h.controller.bootstrap("other", new Map())).toThrow(/bootstrap for cluster other/);
  });

  it("loads an image and goes on from its offset", () => {
    const h = new Harness();
    h.brokers([1]);
    const fresh = new Harness();
    fresh.controller.loadImage(h.image);
    expect(fresh.image).toBe(h.image);
    expect(() => fresh.controller.replay([{ type: "NoOp" }], h.image.offset)).toThrow(/not after/);
    fresh.controller.replay([{ type: "NoOp" }], h.image.offset + 1);
    expect(fresh.image.offset).toBe(h.image.offset + 1);
  });
});

describe("brokerHeartbeat", () => {
  it("unfences only once the broker has replayed up to its registration", () => {
    const h = new Harness();
    h.register(1);
    const epoch = h.image.brokers.get(1)!.brokerEpoch;
    const behind = h.heartbeat(1, { offset: epoch - 1 });
    expect(behind).toEqual({ errorCode: 0, isCaughtUp: false, isFenced: true, shouldShutDown: false });
    const caughtUp = h.heartbeat(1, { offset: epoch });
    expect(caughtUp).toEqual({ errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: false });
    expect(h.image.brokers.get(1)?.fenced).toBe(false);
  });

  it("answers STALE_BROKER_EPOCH for an old epoch and BROKER_ID_NOT_REGISTERED for a stranger", () => {
    const h = new Harness();
    h.brokers([1]);
    const stale = h.controller.brokerHeartbeat(
      { brokerId: 1, brokerEpoch: 0, currentMetadataOffset: 100, wantFence: false, wantShutDown: false },
      h.nowMs,
    );
    expect(stale.response.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(stale.records).toEqual([]);
    expect(h.heartbeat(9).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
  });

  it("wantFence fences, and the partitions it led move to another ISR member", () => {
    const h = new Harness();
    h.brokers([1, 2, 3]);
    h.createTopic("t", 3, 3);
    const led = h.image.topics.byName.get("t")!.partitions.filter((p) => p.leader === 1);
    expect(led.length).toBe(1);
    const r = h.heartbeat(1, { wantFence: true });
    expect(r.isFenced).toBe(true);
    for (const p of h.image.topics.byName.get("t")!.partitions) {
      expect(p.isr).not.toContain(1);
      expect(p.leader).not.toBe(1);
    }
    const moved = h.partition("t", led[0]!.partitionId);
    expect(moved.leaderEpoch).toBe(1);
    expect(moved.leader).toBe(led[0]!.replicas.find((id) => id !== 1));
  });

  it("controlled shutdown moves leadership away, then answers shouldShutDown", () => {
    const h = new Harness();
    h.brokers([1, 2]);
    h.createTopic("t", 4, 2);
    const r = h.heartbeat(1, { wantShutDown: true });
    expect(h.image.brokers.get(1)).toMatchObject({ inControlledShutdown: true, fenced: false });
    for (const p of h.image.topics.byName.get("t")!.partitions) {
      expect(p.leader).toBe(2);
      expect(p.isr).toEqual([2]);
    }
    expect(r).toMatchObject({ isFenced: false, shouldShutDown: true });
    const again = h.heartbeat(1, { wantShutDown: true });
    expect(again.shouldShutDown).toBe(true);
  });

  it("a last ISR member in controlled shutdown keeps its ISR place but stops leading", () => {
    const h = new Harness();
    h.brokers([1]);
    h.createTopic("t", 1, 1);
    const r = h.heartbeat(1, { wantShutDown: true });
    expect(h.partition("t", 0)).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 1 });
    expect(r.shouldShutDown).toBe(true);
  });

  it("a fenced broker asking to shut down may go at once", () => {
    const h = new Harness();
    h.register(1);
    expect(h.heartbeat(1, { wantShutDown: true, offset: 0 })).toMatchObject({ isFenced: true, shouldShutDown: true });
  });
});

describe("session expiry (tick) and fenceBroker", () => {
  it("fences one stale broker per tick and elects from the ISR", () => {
    const h = new Harness();
    h.brokers([1, 2, 3]);
    h.createTopic("t", 3, 3);
    h.nowMs += 5_000;
    h.heartbeat(3);
    h.nowMs += 4_000;
    expect(h.controller.tick(h.nowMs - 1)).toEqual([]);
    const first = h.controller.tick(h.nowMs);
    expect(first[0]).toMatchObject({ type: "BrokerRegistrationChange", fenced: true });
    h.commit(first);
    h.commit(h.controller.tick(h.nowMs));
    const fenced = [...h.image.brokers.values()].filter((b) => b.fenced).map((b) => b.brokerId);
    expect(fenced.sort()).toEqual([1, 2]);
    expect(h.controller.tick(h.nowMs)).toEqual([]);
    for (const p of h.image.topics.byName.get("t")!.partitions) {
      expect(p.leader).toBe(3);
      expect(p.isr).toEqual([3]);
    }
  });

  it("a partition whose last ISR member is fenced goes leaderless; unfencing elects it again", () => {
    const h = new Harness();
    const { first, second } = h.twoReplicaTopic();
    h.commit(h.controller.fenceBroker(first));
    expect(h.partition("t", 0)).toMatchObject({ leader: second, isr: [second], leaderEpoch: 1 });
    h.commit(h.controller.fenceBroker(second));
    expect(h.partition("t", 0)).toMatchObject({ leader: -1, isr: [second], leaderEpoch: 2 });
    expect(h.controller.fenceBroker(second)).toEqual([]);
    // The first broker is not in the ISR: no clean election for it.
    h.heartbeat(first);
    expect(h.partition("t", 0).leader).toBe(-1);
    h.heartbeat(second);
    expect(h.partition("t", 0)).toMatchObject({ leader: second, leaderEpoch: 3 });
  });

  it("unclean.leader.election.enable elects an out-of-ISR replica with RECOVERING", () => {
    const h = new Harness();
    const { first, second } = h.twoReplicaTopic({ "unclean.leader.election.enable": "true" });
    h.commit(h.controller.fenceBroker(first));
    h.commit(h.controller.fenceBroker(second));
    expect(h.partition("t", 0).leader).toBe(-1);
    h.heartbeat(first);
    expect(h.partition("t", 0)).toMatchObject({ leader: first, isr: [first], leaderRecoveryState: 1 });
  });

  it("a new active controller gives every broker a full session", () => {
    const h = new Harness();
    h.brokers([1]);
    h.nowMs += 20_000;
    h.controller.activate(h.nowMs);
    expect(h.controller.tick(h.nowMs + 8_999)).toEqual([]);
    expect(h.controller.tick(h.nowMs + 9_000).length).toBeGreaterThan(0);
  });
});
