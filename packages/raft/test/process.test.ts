// Real processes on 127.0.0.1: continuous proposals, SIGKILL the leader, check that a new
// leader appears within 2x the election timeout, no acknowledged proposal is lost, and the
// killed node rejoins and catches up by snapshot.
import { describe, expect, it } from "vitest";
import { ProcessCluster } from "./process-cluster.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function scenario(size: number, store: "file" | "storage"): Promise<void> {
  // 10 ms ticks: election timeouts random in [500, 750) ms, each node in its own slice of that
  // range (stagger: no simultaneous candidates, so no split vote can push failover past the
  // bound); heartbeats every 50 ms. The bench measures unstaggered elections.
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
  const electionTimeoutMs = cfg.tickMs * cfg.electionTicks;
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
    const until = async (what: string, fn: () => boolean, timeoutMs = 15_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!fn()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await sleep(10);
      }
    };
    await until("first leader", () => c.leader() !== undefined);
    const first = c.leader()!;
    const firstTerm = Math.max(...c.leaderEvents.filter((e) => e.id === first).map((e) => e.term));
    await until("some proposals acknowledged", () => acked.size >= 600);

    const killedAt = Date.now();
    c.kill(first);
    await until("a new leader", () => {
      const l = c.leader();
      return l !== undefined && l !== first;
    });
    const elected = c.leaderEvents.find((e) => e.leaderId === e.id && e.id !== first && e.term > firstTerm)!;
    const electionMs = elected.at - killedAt;
    console.log(
      `${size} nodes (${store}): new leader ${elected.id} after ${electionMs} ms (bound ${2 * electionTimeoutMs} ms)`,
    );
    expect(electionMs).toBeLessThanOrEqual(2 * electionTimeoutMs);

    // Write well past the snapshot interval so the leader compacts beyond the dead node's log.
    const ackedAtKill = acked.size;
    await until("progress after failover", () => acked.size >= ackedAtKill + 3 * cfg.snapshotEntries);
    await c.spawnNode(first);
    await until("rejoined node restored a snapshot from the leader", () =>
      c.snapshotRestores.some((s) => s.id === first),
    );
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
