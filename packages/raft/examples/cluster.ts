// A 3-node raft cluster in one process: the driver with durable file storage and an
// in-memory network. Run: pnpm exec tsx --conditions=source packages/raft/examples/cluster.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileLogStore, MemoryNetwork, RaftNode, type Entry, type StateMachine } from "../src/index.js";

/** A replicated counter map: each entry is "key=delta". */
class Counters implements StateMachine {
  readonly values = new Map<string, number>();
  apply(entries: Entry[]): void {
    for (const e of entries) {
      const [key, delta] = new TextDecoder().decode(e.data).split("=");
      this.values.set(key!, (this.values.get(key!) ?? 0) + Number(delta));
    }
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([...this.values]));
  }
  restore(data: Uint8Array): void {
    this.values.clear();
    for (const [k, v] of JSON.parse(new TextDecoder().decode(data)) as [string, number][]) this.values.set(k, v);
  }
}

export async function runExample(): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), "raft-example-"));
  const net = new MemoryNetwork();
  const machines = [new Counters(), new Counters(), new Counters()];
  const nodes = await Promise.all(
    [1, 2, 3].map(async (id) =>
      RaftNode.start({
        id,
        membership: { voters: [1, 2, 3], learners: [] },
        store: await FileLogStore.open(join(root, `node-${id}`)),
        transport: net.transport(id),
        stateMachine: machines[id - 1]!,
        tickMs: 20, // election timeout 10 ticks: 200-400 ms
      }),
    ),
  );
  try {
    while (!nodes.some((n) => n.isLeader)) await new Promise((r) => setTimeout(r, 10));
    const leader = nodes.find((n) => n.isLeader)!;
    // propose() resolves once the entry is committed by a majority and applied on the leader.
    await Promise.all(["a=1", "b=2", "a=3"].map((s) => leader.propose(new TextEncoder().encode(s))));
    // A linearizable read on a follower: wait for the read-index, then read local state.
    const follower = nodes.find((n) => !n.isLeader)!;
    await follower.readIndex();
    const seen = Object.fromEntries(machines[follower.id - 1]!.values);
    console.log(`leader ${leader.id}; follower ${follower.id} reads`, seen);
    return seen;
  } finally {
    for (const n of nodes) await n.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runExample();
