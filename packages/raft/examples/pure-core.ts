// The pure core stepped by hand: three RaftCores, messages passed in a loop, no I/O.
// Run: pnpm exec tsx --conditions=source packages/raft/examples/pure-core.ts
import { pathToFileURL } from "node:url";
import { RaftCore, type Message } from "../src/index.js";

export function runPureCore(): string[] {
  let seed = 42;
  // any seeded PRNG
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const membership = { voters: [1, 2, 3], learners: [] };
  const nodes = [1, 2, 3].map(
    (id) =>
      new RaftCore({ id, membership, electionTicks: 10, heartbeatTicks: 1, random, preVote: true, checkQuorum: true }),
  );
  const applied: string[] = [];
  const inFlight: Message[] = [];
  const pump = (): void => {
    for (let round = 0; round < 100; round++) {
      for (const n of nodes) {
        if (!n.hasReady()) continue;
        const rd = n.ready();
        // 1. persist rd.hardState / rd.entries / rd.snapshot (fsync) — in memory here
        // 2. send rd.messages
        inFlight.push(...rd.messages);
        // 3. apply rd.committedEntries
        if (n.id === 1)
          for (const e of rd.committedEntries) if (e.type === "normal") applied.push(new TextDecoder().decode(e.data));
        // 4. advance
        n.advance(rd);
      }
      if (inFlight.length === 0) return;
      for (const m of inFlight.splice(0)) nodes[m.to - 1]!.step(m);
    }
  };
  nodes[0]!.campaign(false); // or tick() until an election timeout fires
  pump();
  nodes[0]!.propose(new TextEncoder().encode("hello"));
  nodes[0]!.propose(new TextEncoder().encode("raft"));
  pump();
  return applied;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  console.log(runPureCore());
