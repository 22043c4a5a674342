import { checkHistory } from "./linearizability.js";
import { Prng } from "@gregor/testkit";
import { randomOptions, Simulation } from "./world.js";

export interface RunResult {
  seed: number;
  events: number;
  ops: number;
  completed: number;
}

/** Run one seeded simulation; throws with the seed and a replay hint on any violation. */
export function runSeed(seed: number, kind: "safety" | "lin", verbose = false): RunResult {
  const opts = randomOptions(new Prng(seed ^ 0x5eed), kind);
  const sim = new Simulation(seed, opts, verbose);
  try {
    sim.run();
    if (kind === "lin") {
      const r = checkHistory(sim.clients.history);
      if (!r.ok) {
        const lines = r.ops.map((o) => `  c${o.client} ${o.kind}(${o.value}) -> ${o.output} [${o.call}, ${o.ret}]`);
        throw new Error(`history not linearizable for key ${r.key}:\n${lines.join("\n")}`);
      }
    }
  } catch (err) {
    const trace = verbose ? `\n${sim.trace.slice(-200).join("\n")}` : "";
    throw new Error(
      `raft sim (${kind}) failed at seed ${seed}, t=${sim.now}ms: ${(err as Error).message}\n` +
        `options: ${JSON.stringify(opts)}\nreplay: RAFT_SEED=${seed} pnpm exec vitest run packages/raft/test/sim/${kind === "lin" ? "lin" : "safety"}.test.ts${trace}`,
      { cause: err },
    );
  }
  return { seed, events: sim.events, ops: sim.clients.history.length, completed: sim.clients.completed };
}
