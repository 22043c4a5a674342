// Real processes on 127.0.0.1: continuous proposals, SIGKILL the leader, check that another node
// is elected in a later term, no acknowledged proposal is lost, and the killed node rejoins and
// catches up by snapshot. How long the election takes is measured by bench/cluster.bench.ts.
import { sleep, until } from "@gregor/testkit";
import { describe, expect, it } from "vitest";
import { ProcessCluster } from "./process-cluster.js";

async function scenario(size: number, store: "file" | "storage"): Promise<void> {
  // 10 ms ticks: election timeouts random in [500, 750) ms, each node in its own slice of that
  // range (stagger: no simultaneous candidates, so no split vote drags failover on); heartbeats
  // every 50 ms. The bench measures unstaggered elections.
  const cfg = {
    size,
    tickMs: 10,
    electionTicks: 50,
    jitterTicks: 25,
    heartbeatTicks: 5,
    stagger: true,
    snapshotEntries: 300,
    store,
  };
  const c = new ProcessCluster(cfg);
  const acked = new Set<number>();
  let stop = false;
  let batchNo = 0;
  let nextId = 1;
  const proposer = (async () => {
    while (!stop) {
      const leader = c.leader();
      if (leader === undefined) {
        await sleep(10);
        continue;
      }
      const batch = ++batchNo;
      const ids = Array.from({ length: 50 }, () => nextId++);
      const reply = c.next((m) => m.type === "acks" && m.batch === batch, 2000).catch(() => undefined);
      if (!c.send(leader, { type: "propose", batch, ids })) continue;
      const r = await reply;
      if (r !== undefined) for (const id of r.acked as number[]) acked.add(id);
    }
  })();
  try {
    await c.startAll();
    const wait = { timeoutMs: 15_000 };
    const first = await until(() => c.leader(), { ...wait, what: "the first leader" });
    const firstTerm = Math.max(...c.leaderEvents.filter((e) => e.id === first).map((e) => e.term));
    await until(() => acked.size >= 600, { ...wait, what: "600 proposals acknowledged" });

    c.kill(first);
    const elected = await until(
      () => c.leaderEvents.find((e) => e.leaderId === e.id && e.id !== first && e.term > firstTerm),
      { ...wait, what: `a node other than ${first} elected in a term after ${firstTerm}` },
    );

    // Write well past the snapshot interval so the leader compacts beyond the dead node's log.
    const ackedAtKill = acked.size;
    await until(() => acked.size >= ackedAtKill + 3 * cfg.snapshotEntries, {
      ...wait,
      what: `${3 * cfg.snapshotEntries} more proposals acknowledged by leader ${elected.id} after failover`,
    });
    await c.spawnNode(first);
    await until(() => c.snapshotRestores.some((s) => s.id === first), {
      ...wait,
      what: `node ${first} (rejoined) to restore a snapshot from the leader`,
    });
    await sleep(300);
    stop = true;
    await proposer;

    // Converge, then compare every node's state with the acknowledged set.
    let states: { applied: number; count: number; ids: number[] }[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      states = await Promise.all(c.ids.map((id) => c.state(id, false)));
      if (states.every((s) => s.count === states[0]!.count)) break;
      await sleep(25);
    }
    states = await Promise.all(c.ids.map((id) => c.state(id, true)));
    const reference = states[0]!.ids;
    for (const s of states) expect(s.ids).toEqual(reference);
    expect(new Set(reference).size).toBe(reference.length); // nothing applied twice
    const applied = new Set(reference);
    const lost = [...acked].filter((id) => !applied.has(id));
    expect(lost).toEqual([]);
    expect(acked.size).toBeGreaterThan(ackedAtKill);
  } finally {
    stop = true;
    await proposer;
    await c.stopAll();
  }
}

describe("raft on real processes", () => {
  it("3 nodes (FileLogStore): leader SIGKILL, failover, no acknowledged write lost, snapshot catch-up", async () => {
    await scenario(3, "file");
  });
  it("5 nodes (StorageLogStore): leader SIGKILL, failover, no acknowledged write lost, snapshot catch-up", async () => {
    await scenario(5, "storage");
  });
});
