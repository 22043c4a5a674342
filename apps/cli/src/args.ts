// Kafka-style flag parsing: `--flag value`, `--flag=value`, repeatable flags, and errors that name
// the flag and what is allowed (exit code 1, never a stack trace).

export interface FlagSpec {
  flag: string;
  /** Value placeholder, e.g. "<topic>"; absent for boolean flags. */
  arg?: string;
  desc: string;
  repeatable?: boolean;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export interface Parsed {
  has(flag: string): boolean;
  get(flag: string): string | undefined;
  all(flag: string): string[];
  require(flag: string): string;
  int(flag: string, def?: number): number | undefined;
  /** `--property k=v` style pairs merged into one map. */
  props(flag: string): Map<string, string>;
}

export function parseArgs(command: string, specs: readonly FlagSpec[], argv: readonly string[]): Parsed {
  const byFlag = new Map(specs.map((s) => [s.flag, s]));
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] === "-h" && byFlag.has("--help") ? "--help" : argv[i]!;
    if (!a.startsWith("--"))
      throw new UsageError(
        `unexpected argument '${a}' for '${command}'; options start with --. Run with --help to see them.`,
      );
    const eq = a.indexOf("=");
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const spec = byFlag.get(flag);
    if (!spec)
      throw new UsageError(
        `unrecognized option '${flag}' for '${command}'. Allowed: ${specs.map((s) => s.flag).join(", ")}`,
      );
    let value = "";
    if (spec.arg !== undefined) {
      if (eq > 0) value = a.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`option '${flag}' requires a value ${spec.arg}`);
        value = next;
        i++;
      }
    } else if (eq > 0) throw new UsageError(`option '${flag}' takes no value`);
    const list = values.get(flag) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new UsageError(`option '${flag}' given more than once`);
    list.push(value);
    values.set(flag, list);
  }
  const p: Parsed = {
    has: (f) => values.has(f),
    get: (f) => values.get(f)?.[0],
    all: (f) => values.get(f) ?? [],
    require: (f) => {
      const v = values.get(f)?.[0];
      if (v === undefined) throw new UsageError(`missing required option '${f}' ${byFlag.get(f)?.arg ?? ""}`.trim());
      return v;
    },
    int: (f, def) => {
      const v = values.get(f)?.[0];
      if (v === undefined) return def;
      if (!/^-?\d+$/.test(v)) throw new UsageError(`option '${f}' must be an integer, got '${v}'`);
      return Number(v);
    },
    props: (f) => {
      const m = new Map<string, string>();
      for (const v of values.get(f) ?? []) {
        for (const kv of v.split(/,(?=[^,=]+=)/)) {
          const i = kv.indexOf("=");
          if (i <= 0) throw new UsageError(`option '${f}' expects key=value, got '${kv}'`);
          m.set(kv.slice(0, i), kv.slice(i + 1));
        }
      }
      return m;
    },
  };
  return p;
}

/** Word-wraps `text` to `width` columns, continuation lines indented by `indent`. */
function wrap(text: string, indent: number, width: number): string {
  const room = Math.max(30, width - indent);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join("\n" + " ".repeat(indent));
}

/** A command's --help: summary, options (wrapped to 100 columns), examples. */
export function usage(
  command: string,
  summary: string,
  specs: readonly FlagSpec[],
  examples: readonly string[] = [],
): string {
  const w = Math.max(...specs.map((s) => (s.flag + (s.arg ? ` ${s.arg}` : "")).length));
  const lines = specs.map(
    (s) =>
      `  ${(s.flag + (s.arg ? ` ${s.arg}` : "")).padEnd(w)}  ${wrap(s.desc + (s.repeatable ? " (repeatable)" : ""), w + 4, 100)}`,
  );
  const ex = examples.length > 0 ? `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}\n` : "";
  return `Usage: gregor ${command} [options]\n${summary}\n\nOptions:\n${lines.join("\n")}\n${ex}`;
}

export const BOOTSTRAP: FlagSpec = {
  flag: "--bootstrap-server",
  arg: "<host:port>",
  desc: "REQUIRED: the broker(s) to connect to, comma separated",
};
export const HELP: FlagSpec = { flag: "--help", desc: "Print usage information." };

export function bootstrapOf(p: Parsed): string[] {
  const v = p.require("--bootstrap-server");
  const list = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of list)
    if (!/^[^:]+:\d+$/.test(b) && !/^\[.*\]:\d+$/.test(b))
      throw new UsageError(`--bootstrap-server: '${b}' is not host:port`);
  return list;
}
