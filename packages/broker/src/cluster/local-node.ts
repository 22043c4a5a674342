// One node of a local cluster (startCluster): started as a Kafka user starts it — as an OS process
// running `bin/kafka-server-start.sh <server.properties> --override ...` in its own process group
// (issue #14's conventions: foreground, no detached children, a signal to the group reaches the
// whole node) — or as startBroker() in this process with the same file and overrides.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pino } from "pino";
import { type Broker, startBroker } from "../broker.js";
import { loadBrokerConfig } from "../config/load.js";

/** A node of a local cluster. Fault injection (pause, isolate, partition) builds on `signal`. */
export interface LocalClusterNode {
  readonly id: number;
  readonly host: string;
  /** The PLAINTEXT (client) port. */
  readonly port: number;
  /** The CONTROLLER (quorum) port. */
  readonly controllerPort: number;
  readonly dataDir: string;
  /** Where the node's stdout and stderr go. */
  readonly logFile: string;
  /** The `--override key=value` pairs the node starts with (after the server.properties file). */
  readonly overrides: readonly string[];
  /** The process id, which is also its process group id (process mode while running), else null. */
  readonly pid: number | null;
  readonly running: boolean;
  /** SIGTERM (controlled shutdown) and wait for the exit; SIGKILL if it has not exited in time. */
  stop(): Promise<void>;
  /** SIGKILL of the process group: a crash, no controlled shutdown (in-process: close()). */
  kill(): Promise<void>;
  /** Stops the node if it runs, then runs the same command on the same data (no reformat). */
  restart(): Promise<void>;
  /** Sends `signal` to the node's process group (process mode only). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves when the node's current process ends (never in-process). */
  readonly exited: Promise<NodeExit>;
}

export interface NodeSpec {
  id: number;
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  overrides: string[];
  configFile: string;
  /** The repository root: bin/ and apps/ live there. */
  home: string;
  /** How long stop() waits for the exit before SIGKILL. */
  stopTimeoutMs: number;
}

/** How a node ended: its exit code, or the signal that ended it. */
export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A node as startCluster drives it: `start` runs the node's command (process) or startBroker. */
export interface RunnableNode extends LocalClusterNode {
  start(): Promise<void>;
}

const NEVER = new Promise<NodeExit>(() => undefined);

/** The last `n` lines of a node's log: what start-up errors quote. */
export function logTail(logFile: string, n = 5): string {
  try {
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n");
    return lines.slice(-n).join("\n");
  } catch {
    return "";
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** What both kinds of node share: the spec's fields, and restart() as stop() then start(). */
abstract class SpecNode {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly overrides: readonly string[];

  constructor(protected readonly spec: NodeSpec) {
    ({ id: this.id, host: this.host, port: this.port, controllerPort: this.controllerPort } = spec);
    ({ dataDir: this.dataDir, logFile: this.logFile, overrides: this.overrides } = spec);
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

/** The node as `bin/kafka-server-start.sh` in its own process group, output appended to `logFile`. */
export class ProcessNode extends SpecNode implements RunnableNode {
  private child: ChildProcess | null = null;
  private exit: Promise<NodeExit> = NEVER;

  get pid(): number | null {
    return this.running ? (this.child?.pid ?? null) : null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get exited(): Promise<NodeExit> {
    return this.exit;
  }

  /** The command line, as a user would type it. */
  get argv(): string[] {
    const args = [this.spec.configFile];
    for (const o of this.overrides) args.push("--override", o);
    return [join(this.spec.home, "bin/kafka-server-start.sh"), ...args];
  }

  async start(): Promise<void> {
    if (this.running) return;
    mkdirSync(dirname(this.logFile), { recursive: true });
    const fd = openSync(this.logFile, "a");
    try {
      // detached: a new session and process group led by the script, which execs node.
      const child = spawn("bash", this.argv, {
        cwd: this.spec.home,
        detached: true,
        stdio: ["ignore", fd, fd],
        env: process.env,
      });
      this.child = child;
      this.exit = new Promise<NodeExit>((resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
        child.once("error", () => resolve({ code: -1, signal: null }));
      });
    } finally {
      closeSync(fd);
    }
  }

  signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid !== null) signalGroup(pid, signal);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.signal("SIGTERM");
    if ((await withTimeout(this.exit, this.spec.stopTimeoutMs)) === "timeout") await this.kill();
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal("SIGKILL");
    await this.exit;
  }
}

/** The node as startBroker() in this process: same file and overrides; `kill` can only close it. */
export class InProcessNode extends SpecNode implements RunnableNode {
  readonly pid = null;
  readonly exited = NEVER;
  private broker: Broker | null = null;

  get running(): boolean {
    return this.broker !== null;
  }

  async start(): Promise<void> {
    if (this.broker !== null) return;
    mkdirSync(dirname(this.logFile), { recursive: true });
    const logger = pino({ level: "info" }, pino.destination({ dest: this.logFile, append: true, sync: true }));
    const brokerConfig = loadBrokerConfig({ file: this.spec.configFile, overrides: this.overrides });
    this.broker = await startBroker({ brokerConfig, logger });
  }

  signal(signal: NodeJS.Signals): void {
    throw new Error(`node ${this.id} runs in this process: ${signal} needs mode "process"`);
  }

  async stop(): Promise<void> {
    const broker = this.broker;
    this.broker = null;
    await broker?.close();
  }

  /** No crash is possible inside this process: the node closes (controlled shutdown included). */
  kill(): Promise<void> {
    return this.stop();
  }
}
