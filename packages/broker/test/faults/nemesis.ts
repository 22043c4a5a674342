// The fault suite's nemesis: the faults a run applies while the workload writes, each one a
// scenario chosen by the run's seeded Prng (the failing seed and scenario are printed, and the
// same seed picks the same scenarios, partitions and pause lengths again). Each scenario leaves
// the cluster healed and every node running again, and records the failover times it saw:
//   kill     kill -9 of a partition leader -> the first acknowledgement, on each partition it
//            led, of a value the workload sent after the kill (fast fencing: the dead process's
//            controller connection closes);
//   cut      a silent network cut of a partition leader from the other nodes -> the first
//            acknowledgement on each partition it led by a probe producer sent to the leader the
//            other nodes name (the cluster's failover: session timeout, election); and, when the
//            clients are cut off it too, -> the workload's first acknowledgement (the client's
//            view: it also waits out its request timeout on the cut-off leader).
import { Producer } from "@gregor/client";
import type { Prng } from "@gregor/testkit";
import type { LocalCluster } from "../../src/index.js";
import { type PartitionView, waitForView } from "./cluster-view.js";
import type { Workload } from "./workload.js";

export const SCENARIOS = [
  "kill-leader",
  "pause-node",
  "isolate-leader",
  "restart-all",
  "pause-followers-kill-leader",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Failovers {
  kill: number[];
  cutCluster: number[];
  cutClient: number[];
  /** Failovers not seen within `failoverWaitMs`, by kind. */
  timedOut: { kill: number; cutCluster: number; cutClient: number };
}

export interface NemesisContext {
  cluster: LocalCluster;
  topic: string;
  workload: Workload;
  prng: Prng;
  failovers: Failovers;
  /** How long to wait for a failover before counting it as timed out. */
  failoverWaitMs: number;
  /** The cluster's broker.session.timeout.ms: pauses are drawn around it. */
  sessionTimeoutMs: number;
  log: (message: string) => void;
}

export function emptyFailovers(): Failovers {
  return { kill: [], cutCluster: [], cutClient: [], timedOut: { kill: 0, cutCluster: 0, cutClient: 0 } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function currentView(ctx: NemesisContext): Promise<PartitionView[]> {
  const { view } = await waitForView(
    ctx.cluster.nodes,
    ctx.topic,
    (v) => v.every((p) => p.leader >= 0),
    ctx.failoverWaitMs,
  );
  if (view === null) throw new Error(`no node describes ${ctx.topic}`);
  return view;
}

/** A random partition's leader and every partition it leads. */
async function pickLeader(ctx: NemesisContext): Promise<{ leader: number; led: number[] }> {
  const view = await currentView(ctx);
  const leader = ctx.prng.pick(view).leader;
  return { leader, led: view.filter((p) => p.leader === leader).map((p) => p.partition) };
}

/** Waits for the workload's first ack since `sinceMs` on each of `partitions`; pushes the delays. */
async function awaitWorkloadAcks(
  ctx: NemesisContext,
  partitions: readonly number[],
  sinceMs: number,
  into: "kill" | "cutClient",
): Promise<void> {
  const deadline = sinceMs + ctx.failoverWaitMs;
  const left = new Set(partitions);
  while (left.size > 0 && performance.now() < deadline) {
    for (const p of [...left]) {
      const acked = ctx.workload.firstAckSince(p, sinceMs);
      if (acked !== null) {
        ctx.failovers[into].push(acked - sinceMs);
        left.delete(p);
      }
    }
    await sleep(10);
  }
  ctx.failovers.timedOut[into] += left.size;
  if (left.size > 0)
    ctx.log(`no ${into} failover within ${ctx.failoverWaitMs} ms on partition(s) ${[...left].join(",")}`);
}

async function killLeader(ctx: NemesisContext): Promise<void> {
  const { leader, led } = await pickLeader(ctx);
  ctx.log(`kill -9 node ${leader} (leads ${led.join(",")})`);
  const t = performance.now();
  await ctx.cluster.kill(leader);
  await awaitWorkloadAcks(ctx, led, t, "kill");
  await ctx.cluster.restart(leader);
}

async function pauseNode(ctx: NemesisContext): Promise<void> {
  const id = ctx.prng.pick(ctx.cluster.nodes).id;
  const ms = ctx.prng.int(500, Math.round(ctx.sessionTimeoutMs * 1.5));
  ctx.log(`pause node ${id} for ${ms} ms`);
  await ctx.cluster.pause(id);
  await sleep(ms);
  await ctx.cluster.resume(id);
}

/**
 * The cluster's failover after `cutOff` was cut off at `sinceMs`: waits until the other nodes name
 * a new leader for `partition`, then writes one value to it (idempotent, acks=all) through a
 * producer that knows only that leader; the ack time, or null past failoverWaitMs. (A client that
 * can still reach the cut-off node may keep reading its stale metadata: that is the client's
 * view, measured by the workload.)
 */
async function probe(ctx: NemesisContext, cutOff: number, partition: number, sinceMs: number): Promise<number | null> {
  const others = ctx.cluster.nodes.filter((n) => n.id !== cutOff);
  const moved = (v: PartitionView[]): boolean => {
    const leader = v[partition]?.leader ?? -1;
    return leader >= 0 && leader !== cutOff;
  };
  const left = (): number => sinceMs + ctx.failoverWaitMs - performance.now();
  const { view, met } = await waitForView(others, ctx.topic, moved, left());
  const leader = met ? others.find((n) => n.id === view?.[partition]?.leader) : undefined;
  if (leader === undefined || left() <= 0) return null;
  const value = `${ctx.workload.tag}-probe-${partition}-${Math.round(sinceMs)}`;
  const producer = new Producer({
    bootstrapBrokers: [`${leader.host}:${leader.port}`],
    clientId: "fault-suite-probe",
    idempotent: true,
    deliveryTimeoutMs: Math.max(1, Math.round(left())),
    retry: { retries: 1_000_000, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
  });
  ctx.workload.attempted.add(value);
  try {
    const [meta] = await producer.send(ctx.topic, { value, partition });
    const ackedMs = performance.now();
    ctx.workload.acks.push({ value, partition, offset: Number(meta!.offset), sentMs: ackedMs, ackedMs, probe: true });
    return ackedMs;
  } catch {
    return null;
  } finally {
    await producer.close().catch(() => undefined);
  }
}

/**
 * A silent cut of a leader from the other nodes; half the time (by the seed) from the clients too,
 * and only then is the workload's failover counted (a client that still reaches the cut-off leader
 * may keep its stale metadata for as long as the cut lasts).
 */
async function isolateLeader(ctx: NemesisContext): Promise<void> {
  const { leader, led } = await pickLeader(ctx);
  const clients = ctx.prng.chance(0.5);
  ctx.log(`cut node ${leader} off the other nodes${clients ? " and the clients" : ""} (leads ${led.join(",")})`);
  const t = performance.now();
  await ctx.cluster.isolate(leader, { clients });
  const probes = led.map(async (p) => {
    const acked = await probe(ctx, leader, p, t);
    if (acked === null) {
      ctx.failovers.timedOut.cutCluster++;
      ctx.log(`no cluster failover within ${ctx.failoverWaitMs} ms on partition ${p} (probe)`);
    } else ctx.failovers.cutCluster.push(acked - t);
  });
  await Promise.all([...probes, clients ? awaitWorkloadAcks(ctx, led, t, "cutClient") : Promise.resolve()]);
  await ctx.cluster.heal();
}

async function restartAll(ctx: NemesisContext): Promise<void> {
  ctx.log("kill -9 every node, then start them all again");
  await Promise.all(ctx.cluster.nodes.map((n) => ctx.cluster.kill(n.id)));
  await Promise.all(ctx.cluster.nodes.map((n) => ctx.cluster.restart(n.id)));
}

/**
 * Kafka's documented acks=1 loss, made certain: both followers of a leader freeze (the quorum too,
 * so no ISR change is possible), the leader takes writes alone, then crashes; the followers
 * continue and one becomes leader without them. With acks=all nothing written in that window was
 * acknowledged (the high watermark could not move), so nothing acknowledged is lost.
 */
async function pauseFollowersKillLeader(ctx: NemesisContext): Promise<void> {
  const { leader, led } = await pickLeader(ctx);
  const followers = ctx.cluster.nodes.filter((n) => n.id !== leader).map((n) => n.id);
  ctx.log(`pause nodes ${followers.join(",")}, then kill -9 leader ${leader} (leads ${led.join(",")})`);
  for (const id of followers) await ctx.cluster.pause(id);
  await sleep(ctx.prng.int(300, 1500));
  await ctx.cluster.kill(leader);
  for (const id of followers) await ctx.cluster.resume(id);
  await waitForView(
    ctx.cluster.nodes,
    ctx.topic,
    (v) => led.every((p) => (v[p]?.leader ?? -1) >= 0 && v[p]?.leader !== leader),
    ctx.failoverWaitMs,
  );
  await ctx.cluster.restart(leader);
}

export async function applyScenario(ctx: NemesisContext, scenario: Scenario): Promise<void> {
  switch (scenario) {
    case "kill-leader":
      return killLeader(ctx);
    case "pause-node":
      return pauseNode(ctx);
    case "isolate-leader":
      return isolateLeader(ctx);
    case "restart-all":
      return restartAll(ctx);
    case "pause-followers-kill-leader":
      return pauseFollowersKillLeader(ctx);
  }
}

/** Heals every fault and starts every node that is down (the end of every run). */
export async function healAll(cluster: LocalCluster): Promise<void> {
  await cluster.heal();
  await Promise.all(cluster.nodes.filter((n) => !n.running).map((n) => cluster.restart(n.id)));
}
