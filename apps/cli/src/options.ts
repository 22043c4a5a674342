// Every gregor tool is a commander command set up here the same way: Kafka's flag names, one --help
// layout (wrapped to 100 columns, examples at the end), and usage errors that name the flag and what
// is allowed — one line on stderr, exit code 1, never a stack trace.
import { type Command, type CommanderError, Option } from "commander";
import type { Io } from "./io.js";

export class UsageError extends Error {
  override name = "UsageError";
}

/** Thrown out of commander once it has printed help: the exit code the CLI returns. */
export class HelpShown extends Error {
  override name = "HelpShown";
  constructor(readonly exitCode: number) {
    super("help shown");
  }
}

/** A tool (`gregor topics`, `gregor perf produce`, ...): its flags and what it does with them. */
export interface Tool {
  name: string;
  /** Kafka's tool names that also reach it (`console-producer`). */
  aliases?: readonly string[];
  /** One line for the command list of `gregor --help`. */
  summary: string;
  /** The paragraph at the top of the tool's own --help. */
  description: string;
  examples?: readonly string[];
  /** Adds the tool's flags; `--bootstrap-server` is added first unless `bootstrap` is false. */
  options?(cmd: Command): void;
  bootstrap?: boolean;
  /** Runs the tool with its parsed flags (`cmd.opts()`); resolves to the exit code. */
  run?(cmd: Command, io: Io): Promise<number>;
  /** Sub-tools (`perf produce`, `perf consume`) instead of `run`. */
  tools?: readonly Tool[];
}

const HELP_WIDTH = 100;

function toolPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function allowedFlags(cmd: Command): string {
  return [...cmd.options.map((o) => o.long ?? o.short ?? ""), "--help"].join(", ");
}

/** Commander's error for `cmd` in our wording: the flag, the tool, what is allowed. */
function usageErrorOf(cmd: Command, e: CommanderError): UsageError {
  const text = e.message.replace(/^error: /, "");
  const quoted = /'([^']*)'/.exec(text)?.[1] ?? "";
  const flag = quoted.split(" ")[0] ?? "";
  const hint = /\(Did you mean (.+)\?\)/.exec(text)?.[1];
  const suggestion = hint ? ` Did you mean ${hint}?` : "";
  switch (e.code) {
    case "commander.unknownOption":
      return new UsageError(
        `unrecognized option '${flag}' for '${toolPath(cmd)}'. Allowed: ${allowedFlags(cmd)}.${suggestion}`,
      );
    case "commander.optionMissingArgument":
      return new UsageError(`option '${flag}' requires a value ${quoted.slice(flag.length + 1)}`);
    case "commander.missingMandatoryOptionValue":
      return new UsageError(`missing required option '${quoted}'`);
    case "commander.excessArguments":
      return new UsageError(
        `unexpected argument '${cmd.args.join(" ")}' for '${toolPath(cmd)}'; options start with --. Run with --help to see them.`,
      );
    case "commander.unknownCommand":
      return new UsageError(
        `unknown command '${quoted}'. Allowed: ${cmd.commands.map((c) => c.name()).join(", ")}.${suggestion} Run '${["gregor", toolPath(cmd)].filter(Boolean).join(" ")} --help'.`,
      );
    default:
      return new UsageError(text.split("\n")[0]!);
  }
}

/** The settings every command shares: output through `io`, help layout, errors as UsageError. */
export function configure(cmd: Command, io: Io): Command {
  return cmd
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: () => undefined, // runCli prints the UsageError below as one line
    })
    .configureHelp({
      helpWidth: HELP_WIDTH,
      // Kafka's tool names (aliases) reach a tool but stay out of its usage line and the command list.
      subcommandTerm: (c) => `${c.name()} ${c.usage()}`,
      commandUsage: (c) => `gregor ${[toolPath(c), c.usage()].filter(Boolean).join(" ")}`,
    })
    .helpOption("-h, --help", "Print usage information.")
    .helpCommand(false)
    .allowExcessArguments(false)
    .exitOverride((e) => {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version")
        throw new HelpShown(e.exitCode);
      throw usageErrorOf(cmd, e);
    });
}

/** Adds `tool` under `parent`; `done` receives the exit code when the tool has run. */
export function addTool(parent: Command, tool: Tool, io: Io, done: (code: number) => void): Command {
  const cmd = configure(parent.command(tool.name), io).summary(tool.summary).description(tool.description);
  for (const a of tool.aliases ?? []) cmd.alias(a);
  if (tool.tools) {
    for (const t of tool.tools) addTool(cmd, t, io, done);
    return cmd;
  }
  if (tool.bootstrap !== false) cmd.addOption(bootstrapOption());
  tool.options?.(cmd);
  if (tool.examples?.length)
    cmd.addHelpText("after", `\nExamples:\n${tool.examples.map((e) => `  ${e}`).join("\n")}\n`);
  const run = tool.run;
  // The command itself, not the action's last argument: a tool with arguments (metadata-quorum) gets them first.
  if (run) cmd.action(async () => done(await run(cmd, io)));
  return cmd;
}

export function toInt(flag: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new UsageError(`option '${flag}' must be an integer, got '${v}'`);
  return Number(v);
}

/** `--flag <n>`: an integer, checked as it is parsed. */
export function intOption(flags: string, desc: string): Option {
  const o = new Option(flags, desc);
  return o.argParser((v: string) => toInt(o.long!, v));
}

/** A flag that may be given several times: every value, in order. */
export function listOption(flags: string, desc: string): Option {
  return new Option(flags, `${desc} (repeatable)`).argParser((v: string, prev: string[] | undefined) => [
    ...(prev ?? []),
    v,
  ]);
}

/** `--property k=v` style pairs (repeatable, or comma separated), merged into one map. */
export function pairsOption(flags: string, desc: string): Option {
  const o = new Option(flags, `${desc} (repeatable)`);
  return o.argParser((v: string, prev: Map<string, string> | undefined) => {
    const m = new Map(prev);
    for (const kv of v.split(/,(?=[^,=]+=)/)) {
      const i = kv.indexOf("=");
      if (i <= 0) throw new UsageError(`option '${o.long}' expects key=value, got '${kv}'`);
      m.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return m;
  });
}

/** A value a tool needs for the action asked for. */
export function need<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`missing required option '${flag}'`);
  return value;
}

/** Exactly one of `flags` (long names) is given in `opts`: which one (else a UsageError, `message` if given). */
export function oneOf<O extends object>(opts: O, flags: readonly string[], message?: string): string {
  const given = flags.filter((f) => (opts as Record<string, unknown>)[camel(f)] !== undefined);
  if (given.length !== 1) throw new UsageError(message ?? `exactly one of ${flags.join(", ")} is required`);
  return given[0]!;
}

/** `--from-beginning` -> `fromBeginning`, the key commander stores it under. */
export function camel(flag: string): string {
  return flag.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function bootstrapList(v: string): string[] {
  const list = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of list)
    if (!/^[^:]+:\d+$/.test(b) && !/^\[.*\]:\d+$/.test(b))
      throw new UsageError(`--bootstrap-server: '${b}' is not host:port`);
  return list;
}

/** Kafka's `--bootstrap-server host:port[,host:port]`, required by every tool that talks to brokers. */
function bootstrapOption(): Option {
  return new Option("--bootstrap-server <host:port>", "REQUIRED: the broker(s) to connect to, comma separated")
    .argParser(bootstrapList)
    .makeOptionMandatory();
}

export interface BootstrapOpts {
  bootstrapServer: string[];
}
