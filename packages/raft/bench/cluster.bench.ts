// End-to-end raft benchmark on 3 OS processes over loopback TCP with real fsyncs:
// 1. committed proposals/s (100-byte proposals, driver batching, load generated in the leader)
// 2. commit latency p50/p99 at 1,000 proposals/s
// 3. election time after SIGKILL of the leader, p50/p99 over RAFT_BENCH_KILLS kills (default 20)
// Run: pnpm exec tsx --conditions=source packages/raft/bench/cluster.bench.ts
// (RAFT_BENCH_STORE=storage for the @gregor/storage-backed log)
import { sleep, until } from "@gregor/testkit";
import { ProcessCluster } from "../test/process-cluster.js";

const kills = Number(process.env.RAFT_BENCH_KILLS ?? 20);
const count = Number(process.env.RAFT_BENCH_PROPOSALS ?? 300_000);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function load(c: ProcessCluster, leader: number, n: number, window: number, ratePerSec: number) {
  const done = c.next((m) => m.type === "loadDone", 600_000);
  c.send(leader, { type: "load", count: n, window, ratePerSec });
  const r = await done;
  return { ms: r.ms as number, latenciesUs: r.latenciesUs as number[], failed: r.failed as number };
}

const store = process.env.RAFT_BENCH_STORE === "storage" ? "storage" : "file";
console.log(`store: ${store === "storage" ? "StorageLogStore (@gregor/storage)" : "FileLogStore"}`);
const c = new ProcessCluster({
  size: 3,
  tickMs: 10,
  electionTicks: 50,
  jitterTicks: 50,
  heartbeatTicks: 5,
  snapshotEntries: 50_000,
  store,
});
try {
  await c.startAll();
  const leader = await until(() => c.leader(), { what: "the first leader", timeoutMs: 20_000, intervalMs: 5 });
  await load(c, leader, 20_000, 10_000, 0); // warm-up (JIT, connections)

  const leaderEventsBefore = c.leaderEvents.length;
  const t = await load(c, leader, count, 20_000, 0);
  const ok = count - t.failed;
  console.log(
    `throughput: ${ok} of ${count} x 100-byte proposals committed in ${t.ms.toFixed(0)} ms = ${Math.round(ok / (t.ms / 1000))} committed proposals/s` +
      (t.failed > 0
        ? ` (${t.failed} failed; ${c.leaderEvents.length - leaderEventsBefore} leader events during the run)`
        : ""),
  );

  await sleep(1500); // let followers drain the throughput backlog before measuring latency
  const l = await load(c, c.leader() ?? leader, 5000, 1_000_000, 1000);
  const lat = l.latenciesUs.map((us) => us / 1000);
  console.log(
    `latency at 1,000 proposals/s: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${pct(lat, 100).toFixed(2)} ms`,
  );

  const elections: number[] = [];
  for (let k = 0; k < kills; k++) {
    const old = c.leader()!;
    const oldTerm = Math.max(...c.leaderEvents.filter((e) => e.id === old).map((e) => e.term));
    const killedAt = Date.now();
    c.kill(old);
    // Polled every 5 ms, but the figure comes from the elected node's own timestamp (ev.at).
    const ev = await until(() => c.leaderEvents.find((e) => e.leaderId === e.id && e.term > oldTerm), {
      what: `a leader elected in a term after ${oldTerm} (kill ${k + 1} of ${kills}, node ${old} killed)`,
      timeoutMs: 20_000,
      intervalMs: 5,
    });
    elections.push(ev.at - killedAt);
    await c.spawnNode(old);
    await sleep(300); // let the restarted node rejoin before the next kill
  }
  console.log(
    `election after leader SIGKILL (election timeout 500 ms, random [500,1000) in 10 ms ticks, heartbeat 50 ms): p50 ${pct(elections, 50)} ms, p99 ${pct(elections, 99)} ms over ${kills} kills`,
  );
} finally {
  if (process.env.RAFT_CHILD_NODE_ARGS !== undefined) {
    for (const id of c.ids) c.send(id, { type: "exit" });
    await sleep(1000);
  }
  await c.stopAll();
}
