// The fault suite (issue 15, "Proof"), shared by the CI test (fault-suite.test.ts, ~10 short runs)
// and the bench (bench/fault-suite.mjs, >= 100 runs with Kafka's default timeouts). One run: a new
// topic (RF 3, min.insync.replicas 2, 3 partitions), the workload writing unique values, the
// nemesis applying `faultsPerRun` scenarios drawn from the run's seed, then every fault healed,
// every node running, the ISR full again (bounded wait), every partition read from offset 0, and
// the checker's verdict. Runs share one cluster; each has its own topic and its own seed.
import { Prng } from "@gregor/testkit";
import type { LocalCluster } from "../../src/index.js";
import { type CheckResult, check, describeErrors } from "./checker.js";
import { createTopic, isrFull, readAll, waitForView } from "./cluster-view.js";
import { applyScenario, emptyFailovers, type Failovers, healAll, SCENARIOS, type Scenario } from "./nemesis.js";

export { healAll } from "./nemesis.js";
import { Workload } from "./workload.js";

export interface RunOptions {
  seed: number;
  partitions?: number;
  /** Records per second per partition. */
  ratePerPartition?: number;
  faultsPerRun?: number;
  scenarios?: readonly Scenario[];
  /** -1 (all, idempotent) or 1 (not idempotent). */
  acks?: -1 | 1;
  topicConfigs?: Readonly<Record<string, string>>;
  /** The cluster's broker.session.timeout.ms. */
  sessionTimeoutMs: number;
  failoverWaitMs?: number;
  /** How long to wait for the ISR to be full again after the faults (default failoverWaitMs). */
  isrWaitMs?: number;
  /** The workload producer's request timeout (default: the client's, Kafka's 30 s). */
  requestTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface RunResult {
  seed: number;
  topic: string;
  scenarios: Scenario[];
  check: CheckResult;
  failovers: Failovers;
  /** Whether every partition's ISR was full again before the read. */
  isrFull: boolean;
  /** Sends the producer had not finished when the run stopped waiting. */
  unfinishedSends: number;
  unfinishedByPartition: number[];
  /** send() rejections, by message. */
  sendFailures: Record<string, number>;
  durationMs: number;
  /** Milliseconds per phase: setup, faults, drain (the producer finishing), isr, read. */
  phases: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runOnce(cluster: LocalCluster, options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const prng = new Prng(options.seed);
  const partitions = options.partitions ?? 3;
  const topic = `faults-${options.seed}`;
  const log = options.log ?? (() => undefined);
  const failoverWaitMs = options.failoverWaitMs ?? 60_000;
  const configs = { "min.insync.replicas": "2", ...options.topicConfigs };
  // The previous run's faults healed: every node lists every node again before this one starts.
  await cluster.waitForBrokers(failoverWaitMs);
  await createTopic(cluster, topic, partitions, 3, configs);
  const ready = await waitForView(cluster.nodes, topic, (v) => v.length === partitions && isrFull(v), 30_000);
  if (!ready.met) throw new Error(`seed ${options.seed}: ${topic} has no full ISR before the faults`);
  const workload = new Workload({
    bootstrap: cluster.bootstrap,
    topic,
    partitions,
    tag: `s${options.seed}`,
    ratePerPartition: options.ratePerPartition ?? 100,
    acks: options.acks ?? -1,
    idempotent: (options.acks ?? -1) === -1,
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const phase = (name: string): void => {
    phases[name] = Math.round(performance.now() - phaseStart);
    phaseStart = performance.now();
  };
  phase("setup");
  const failovers = emptyFailovers();
  const scenarios: Scenario[] = [];
  workload.start();
  try {
    await sleep(prng.int(500, 1500));
    for (let i = 0; i < (options.faultsPerRun ?? 1); i++) {
      const scenario = prng.pick(options.scenarios ?? SCENARIOS);
      scenarios.push(scenario);
      const ctx = {
        cluster,
        topic,
        workload,
        prng,
        failovers,
        failoverWaitMs,
        log,
        sessionTimeoutMs: options.sessionTimeoutMs,
      };
      await applyScenario(ctx, scenario);
      await sleep(prng.int(200, 1000));
    }
  } finally {
    await healAll(cluster);
  }
  phase("faults");
  await sleep(500);
  await workload.stop(failoverWaitMs);
  phase("drain");
  const settled = await waitForView(cluster.nodes, topic, isrFull, options.isrWaitMs ?? failoverWaitMs);
  phase("isr");
  const read = await readAll(cluster.bootstrap, topic, partitions, 60_000);
  phase("read");
  return {
    seed: options.seed,
    topic,
    scenarios,
    check: check(workload.attempted, workload.acks, read),
    failovers,
    isrFull: settled.met,
    unfinishedSends: workload.inFlight,
    unfinishedByPartition: workload.inFlightByPartition,
    sendFailures: Object.fromEntries(workload.failures),
    durationMs: performance.now() - started,
    phases,
  };
}

/** One line per run: the seed, the scenarios, the counts; the errors with examples when any. */
export function describeRun(r: RunResult): string {
  const c = r.check;
  const counts = `acked ${c.acked}/${c.attempted}, read ${c.read}, lost ${c.lost}, duplicated ${c.duplicated}, reordered ${c.reordered}, unexpected ${c.unexpected}`;
  const errors = describeErrors(c);
  const isr = r.isrFull ? "" : ", ISR not full at the end";
  const failures = Object.entries(r.sendFailures).map(([m, n]) => `${n}x ${m}`);
  const unfinished =
    r.unfinishedSends > 0
      ? `, ${r.unfinishedSends} sends unfinished (by partition ${r.unfinishedByPartition.join("/")})`
      : "";
  const failed = failures.length > 0 ? `, failed sends: ${failures.join("; ")}` : "";
  const took = Object.entries(r.phases)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return `seed ${r.seed} [${r.scenarios.join(", ")}]: ${counts}${isr}${unfinished}${failed} (ms: ${took})${errors === "" ? "" : ` — ${errors}`}`;
}
