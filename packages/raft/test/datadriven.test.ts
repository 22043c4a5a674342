// Transcript tests: each testdata/*.txt file is a list of `command` / `----` / expected output
// blocks. Run with REWRITE=1 to regenerate expected output (then review the diff!).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Harness } from "./harness.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "testdata");

interface Block {
  comments: string[];
  cmd: string;
  expected: string;
}

function parse(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let comments: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "" || line.startsWith("#")) {
      if (line.startsWith("#")) comments.push(line);
      i++;
      continue;
    }
    const cmd = line;
    if (lines[i + 1] !== "----") throw new Error(`expected ---- after "${cmd}" (line ${i + 2})`);
    i += 2;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== "") out.push(lines[i++]!);
    blocks.push({ comments, cmd, expected: out.join("\n") });
    comments = [];
  }
  return blocks;
}

function ids(args: string[]): number[] {
  return args.filter((a) => /^\d+$/.test(a)).map(Number);
}

function kv(args: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of args) {
    const k = a.indexOf("=");
    if (k > 0) m.set(a.slice(0, k), a.slice(k + 1));
  }
  return m;
}

function list(v: string | undefined): number[] {
  return v === undefined || v === "" ? [] : v.split(",").map(Number);
}

function run(h: Harness | null, cmd: string): { h: Harness | null; out: string[] } {
  const [name, ...args] = cmd.trim().split(/\s+/);
  const o = kv(args);
  if (name === "add-nodes") {
    const n = Number(args[0]);
    const all = Array.from({ length: n }, (_, k) => k + 1);
    const learners = list(o.get("learners"));
    const voters = o.has("voters") ? list(o.get("voters")) : all.filter((x) => !learners.includes(x));
    const opts = {
      voters,
      learners,
      electionTicks: Number(o.get("election") ?? 10),
      heartbeatTicks: Number(o.get("heartbeat") ?? 1),
      preVote: o.get("prevote") === "true",
      checkQuorum: o.get("checkquorum") === "true",
      ...(o.has("inflight") ? { maxInflightMsgs: Number(o.get("inflight")) } : {}),
      ...(o.has("maxmsg") ? { maxMsgBytes: Number(o.get("maxmsg")) } : {}),
    };
    return { h: new Harness(opts), out: ["ok"] };
  }
  if (h === null) throw new Error("add-nodes first");
  const out: string[] = [];
  const [a, b] = ids(args);
  switch (name) {
    case "campaign":
      h.node(a!).campaign(false);
      out.push(...h.stabilize(true));
      break;
    case "hup":
      // Campaign without delivering anything yet (see "round").
      h.node(a!).campaign(false);
      break;
    case "round":
      // One step of the network: every node handles its Ready, then in-flight messages land.
      h.processReady(out);
      h.deliverAll(out, true);
      break;
    case "tick-election": {
      const n = h.node(a!);
      for (let k = n.electionTimeoutTicks(); k > 0; k--) n.tick();
      break;
    }
    case "tick-heartbeat":
      for (let k = 0; k < h.opts.heartbeatTicks; k++) h.node(a!).tick();
      break;
    case "ticks":
      // Tick the nodes together, delivering messages between ticks.
      for (let k = 0; k < Number(o.get("n") ?? 1); k++) {
        for (const id of ids(args)) h.node(id).tick();
        h.stabilize(false);
      }
      break;
    case "propose":
      out.push(h.propose(a!, args[1]!));
      break;
    case "stabilize":
      out.push(...h.stabilize(!args.includes("quiet")));
      break;
    case "status":
      out.push(...h.status());
      break;
    case "log":
      out.push(...h.logOf(a!));
      break;
    case "applied":
      out.push(`${a}: ${JSON.stringify(h.applied.get(a!))}`);
      break;
    case "partition": {
      h.groups.clear();
      args
        .join(" ")
        .split("|")
        .forEach((g, k) => {
          for (const id of ids(g.trim().split(/\s+/))) h.groups.set(id, k);
        });
      break;
    }
    case "cut":
      h.cuts.add(`${a}-${b}`).add(`${b}-${a}`);
      break;
    case "heal":
      h.groups.clear();
      h.cuts.clear();
      break;
    case "crash":
      h.down.add(a!);
      break;
    case "restart":
      h.start(a!);
      break;
    case "compact":
      h.compact(a!, b!);
      break;
    case "transfer-leadership":
      out.push(h.node(a!).transferLeadership(b!) ? "ok" : "refused");
      out.push(...h.stabilize(true));
      break;
    case "read-index":
      out.push(h.node(a!).readIndex(args[1]!) ? "ok" : "refused");
      break;
    case "progress":
      for (const p of h.node(a!).status().progress) {
        out.push(
          `${p.id}: ${p.state} match=${p.match} next=${p.next}` +
            (p.inflight > 0 ? ` inflight=${p.inflight}` : "") +
            (p.paused ? " paused" : "") +
            (p.learner ? " learner" : ""),
        );
      }
      break;
    default:
      throw new Error(`unknown command ${name}`);
  }
  return { h, out: out.length > 0 ? out : ["ok"] };
}

const files = readdirSync(dir).filter((f) => f.endsWith(".txt"));

describe("raft transcripts", () => {
  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const blocks = parse(readFileSync(path, "utf8"));
      let h: Harness | null = null;
      const rewritten: string[] = [];
      for (const b of blocks) {
        const r = run(h, b.cmd);
        h = r.h;
        const actual = r.out.join("\n");
        rewritten.push([...b.comments, b.cmd, "----", actual].join("\n"));
        if (process.env.REWRITE === undefined) expect(actual, `${file}: ${b.cmd}`).toBe(b.expected);
      }
      if (process.env.REWRITE !== undefined) writeFileSync(path, rewritten.join("\n\n") + "\n");
    });
  }
});
