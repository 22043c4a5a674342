// Seeded simulation of the follower side: three replicas of one partition, leaders elected and
// re-elected while brokers learn of it late, appends on whoever believes it leads (stale leaders
// write records that must be truncated away), corrupt responses, network cuts, DeleteRecords moving
// the log start, and leaders with and without Fetch v12 (divergingEpoch vs OffsetForLeaderEpoch).
// Followers silent too long leave the ISR (only a current leader may shrink it), so DeleteRecords
// can leave one behind the log start. After every step the elected leader holds every committed
// batch and no truncation removed one; at the end, once faults heal, every replica holds the
// leader's log byte for byte. Every path (diverging epoch, truncation, out-of-range, start-over,
// corrupt response, fenced and not-leader answers) must have run. A failure prints its seed.
import { Prng } from "@gregor/testkit";
import { describe, expect, it } from "vitest";
import { SimCluster, type SimBroker } from "./sim-cluster.js";

const SEEDS = Number(process.env.REPLICATION_SIM_SEEDS ?? 150);
const STEPS = 400;

async function step(sim: SimCluster, rng: Prng, tag: number): Promise<void> {
  const b = rng.pick(sim.brokers);
  const roll = rng.next();
  if (roll < 0.3) {
    if (b.view.leader === b.id && b.view.epoch >= 0) b.log.appendAsLeader(rng.int(1, 4), b.view.epoch, `s${tag}`);
  } else if (roll < 0.68) {
    const fetchers = [...b.fetchers.values()];
    if (fetchers.length > 0) await rng.pick(fetchers).doWork();
  } else if (roll < 0.73) {
    elect(sim, rng);
  } else if (roll < 0.85) {
    sim.deliverImage(b);
  } else if (roll < 0.92) {
    sim.nowMs += rng.int(20, 700);
  } else if (roll < 0.95) {
    b.corruptNext = true;
  } else if (roll < 0.98) {
    b.cut = !b.cut;
  } else if (b.view.leader === b.id && b.log.highWatermark > b.log.logStartOffset) {
    const hw = b.log.highWatermark;
    await b.log.deleteRecordsBefore(rng.chance(0.5) ? hw : rng.int(b.log.logStartOffset + 1, hw));
  }
}

/** Clean election: only a replica holding everything committed may lead (Kafka's ISR rule). */
function elect(sim: SimCluster, rng: Prng): void {
  const eligible = sim.brokers.filter((b) => sim.holdsCommitted(b));
  if (eligible.length === 0) return;
  sim.controller = { leader: rng.pick(eligible).id, epoch: sim.controller.epoch + 1 };
}

function converged(sim: SimCluster, leader: SimBroker): boolean {
  return sim.brokers.every(
    (b) =>
      b.log.logEndOffset === leader.log.logEndOffset &&
      b.log.highWatermark === leader.log.highWatermark &&
      sameTail(b, leader),
  );
}

function sameTail(a: SimBroker, b: SimBroker): boolean {
  const from = Math.max(a.log.logStartOffset, b.log.logStartOffset);
  const tail = (x: SimBroker): Buffer[] => x.log.batches.filter((batch) => batch.last >= from).map((y) => y.buf);
  const ta = tail(a);
  const tb = tail(b);
  return ta.length === tb.length && ta.every((buf, i) => buf.equals(tb[i]!));
}

async function runSeed(seed: number): Promise<{ committed: number; stats: Record<string, number> }> {
  const rng = new Prng(seed);
  const sim = new SimCluster(rng);
  for (const b of sim.brokers) sim.deliverImage(b);
  for (let i = 0; i < STEPS && sim.violations.length === 0; i++) {
    await step(sim, rng, i);
    sim.checkLeaderHoldsCommitted();
    if (process.env.SIM_DEBUG && sim.violations.length > 0) console.log(i, dump(sim));
  }
  // Heal: no more faults or appends, everyone learns the last leader, fetchers run until caught up.
  for (const b of sim.brokers) {
    b.cut = false;
    b.corruptNext = false;
    sim.deliverImage(b);
  }
  const leader = sim.broker(sim.controller.leader);
  for (let round = 0; round < 300 && !converged(sim, leader); round++) {
    sim.nowMs += 200;
    for (const b of sim.brokers) for (const f of b.fetchers.values()) await f.doWork();
    sim.checkLeaderHoldsCommitted();
  }
  if (process.env.SIM_DEBUG) console.log(dump(sim));
  expect(sim.violations, `seed ${seed}`).toEqual([]);
  expect(converged(sim, leader), `seed ${seed}: replicas did not converge on leader ${leader.id}`).toBe(true);
  for (const [base, buf] of sim.committed) {
    if (base < leader.log.logStartOffset) continue;
    const held = leader.log.batches.find((b) => b.base === base);
    expect(held?.buf.equals(buf), `seed ${seed}: committed batch at ${base} lost`).toBe(true);
  }
  return { committed: sim.committed.size, stats: sim.stats };
}

function dump(sim: SimCluster): string {
  const brokers = sim.brokers.map((b) => ({
    id: b.id,
    v12: b.v12,
    view: b.view,
    lso: b.log.logStartOffset,
    hw: b.log.highWatermark,
    epochs: b.log.epochs,
    fetchers: [...b.fetchers].map(([src, f]) => `${src}:${f.partitionState({ topic: "t", partition: 0 })?.state}`),
    batches: b.log.batches.map((x) => `${x.base}-${x.last}@${x.epoch}`),
  }));
  return JSON.stringify(
    { controller: sim.controller, committedEnd: sim.committedEnd, v: sim.violations[0], brokers },
    null,
    1,
  );
}

describe("replica fetcher simulation", () => {
  it(`converges and never loses committed batches over ${SEEDS} seeds`, async () => {
    const base = Number(process.env.REPLICATION_SIM_BASE_SEED ?? 1);
    let committed = 0;
    const stats: Record<string, number> = {};
    for (let seed = base; seed < base + SEEDS; seed++) {
      try {
        const r = await runSeed(seed);
        committed += r.committed;
        for (const [k, v] of Object.entries(r.stats)) stats[k] = (stats[k] ?? 0) + v;
      } catch (err) {
        console.error(
          `replica fetcher simulation failed at seed ${seed} (REPLICATION_SIM_BASE_SEED=${seed} REPLICATION_SIM_SEEDS=1)`,
        );
        throw err;
      }
    }
    // The simulation must actually commit data, or it proves nothing.
    expect(committed).toBeGreaterThan(SEEDS * 5);
    if (process.env.SIM_STATS) console.log(stats);
    if (SEEDS >= 100) {
      const paths = ["divergingEpoch", "truncateDiverged", "outOfRange", "startOver", "corrupt", "error74", "error6"];
      for (const path of paths) expect(stats[path] ?? 0, `simulation never ran ${path}`).toBeGreaterThan(0);
    }
  });
});
