// Network faults between the nodes of a local cluster (issue 15, item 7). Each node binds its own
// loopback address (127.A.B.(10+id)) and connects out from it (outboundLocalAddress), so a link
// between two nodes is the pair (address, address) and cutting it is one iptables DROP rule per
// direction on the loopback interface. DROP, not REJECT: a cut link is silent (no reset, no ICMP),
// like a pulled cable or a stopped switch, so a node behind it is only noticed by timeouts —
// Kafka's broker session timeout, raft's election timeout — never by a closed socket.
//
// Only rules this process added are ever removed: each carries the comment
// `gregor-fault <cluster tag> pid=<pid>`; heal() and close() remove them, an exit handler removes
// what is left when the process exits without close(), and rules left by a process that died by a
// signal are removed the next time any process here cuts a link (their pid is no longer alive).
import { execFile, spawnSync } from "node:child_process";

export const FAULT_RULE_TAG = "gregor-fault";

/** A network fault could not be applied: iptables missing, not root, or a rule refused. */
export class NetworkFaultError extends Error {
  override readonly name = "NetworkFaultError";
}

interface IptablesResult {
  code: number;
  output: string;
  missing: boolean;
}

/** `-w 5`: wait for the xtables lock (other processes here may change rules at the same time). */
function iptables(args: readonly string[]): Promise<IptablesResult> {
  return new Promise((resolve) => {
    execFile("iptables", ["-w", "5", ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      const missing = (err as NodeJS.ErrnoException | null)?.code === "ENOENT";
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, output: `${stdout}${stderr}`.trim(), missing });
    });
  });
}

function iptablesSync(args: readonly string[]): void {
  spawnSync("iptables", ["-w", "5", ...args], { stdio: "ignore", timeout: 10_000 });
}

function explain(result: IptablesResult, what: string): NetworkFaultError {
  if (result.missing)
    return new NetworkFaultError(
      `${what} needs iptables, which is not installed (Debian: apt-get install -y iptables; it must run as root)`,
    );
  if (/permission denied|operation not permitted|you must be root/i.test(result.output))
    return new NetworkFaultError(`${what} needs root (CAP_NET_ADMIN) to change iptables rules: ${result.output}`);
  return new NetworkFaultError(`${what}: iptables exited ${result.code}: ${result.output}`);
}

/** Splits one line of `iptables -S` into arguments (double quotes group, as the shell would). */
export function splitRule(line: string): string[] {
  const args: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) args.push(m[1] ?? m[2] ?? "");
  return args;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

let staleSwept = false;

/** Removes fault rules whose owning process is gone (it died by a signal, before its exit handler). */
async function sweepStaleRules(): Promise<void> {
  if (staleSwept) return;
  const listed = await iptables(["-S", "INPUT"]);
  if (listed.code !== 0) throw explain(listed, "a network fault");
  staleSwept = true;
  for (const line of listed.output.split("\n")) {
    if (!line.startsWith("-A INPUT ") || !line.includes(FAULT_RULE_TAG)) continue;
    const pid = Number(/pid=(\d+)/.exec(line)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || alive(pid)) continue;
    await iptables(["-D", ...splitRule(line).slice(1)]);
  }
}

/** Any address but the one named: `*` in a link key, `! -s` / `! -d` in a rule. */
export const ELSEWHERE = "*";

/** One direction of a cut: what `iptables -I INPUT` / `-D INPUT` take after the chain name. */
function dropRule(from: string, to: string, comment: string): string[] {
  const source = from === ELSEWHERE ? ["!", "-s", to] : ["-s", from];
  const destination = to === ELSEWHERE ? ["!", "-d", from] : ["-d", to];
  return ["-i", "lo", ...source, ...destination, "-m", "comment", "--comment", comment, "-j", "DROP"];
}

/**
 * The links a local cluster has cut, as iptables rules. `cut(a, b)` drops packets from address
 * `a` to address `b` on lo (one direction; either side may be ELSEWHERE: any other address);
 * `healAll()` removes every rule it added.
 */
export class LinkCutter {
  private readonly rules = new Map<string, string[]>();
  private readonly comment: string;
  private readonly onExit = (): void => this.healAllSync();

  constructor(clusterTag: string) {
    this.comment = `${FAULT_RULE_TAG} ${clusterTag} pid=${process.pid}`;
  }

  /** The directions cut now, as "from>to". */
  get cuts(): string[] {
    return [...this.rules.keys()];
  }

  async cut(from: string, to: string): Promise<void> {
    const key = `${from}>${to}`;
    if (this.rules.has(key)) return;
    await sweepStaleRules();
    const rule = dropRule(from, to, this.comment);
    const added = await iptables(["-I", "INPUT", ...rule]);
    if (added.code !== 0) throw explain(added, `cutting ${from} -> ${to}`);
    if (this.rules.size === 0) process.on("exit", this.onExit);
    this.rules.set(key, rule);
  }

  async heal(from: string, to: string): Promise<void> {
    const key = `${from}>${to}`;
    const rule = this.rules.get(key);
    if (rule === undefined) return;
    const removed = await iptables(["-D", "INPUT", ...rule]);
    // A rule someone else removed already is healed; any other failure is reported.
    if (removed.code !== 0 && !/does a matching rule exist|bad rule/i.test(removed.output))
      throw explain(removed, `healing ${from} -> ${to}`);
    this.rules.delete(key);
    if (this.rules.size === 0) process.off("exit", this.onExit);
  }

  async healAll(): Promise<void> {
    for (const key of [...this.rules.keys()]) {
      const [from, to] = key.split(">") as [string, string];
      await this.heal(from, to);
    }
  }

  /** For process exit: synchronous, best effort. */
  healAllSync(): void {
    for (const rule of this.rules.values()) iptablesSync(["-D", "INPUT", ...rule]);
    this.rules.clear();
    process.off("exit", this.onExit);
  }
}
