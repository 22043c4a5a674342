// Java .properties files (the subset Kafka's server.properties uses): `key=value` or `key: value`,
// `#`/`!` comments, backslash line continuations and escapes.

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, "");
    }
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]?\s*(.*)$/.exec(line);
    if (m === null) continue;
    out.set(unescapeProperty(m[1]!), unescapeProperty(m[2]!.replace(/\s+$/, "")));
  }
  return out;
}

function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c;
  });
}

export function formatProperties(entries: Iterable<[string, string]>, header?: string): string {
  const lines: string[] = [];
  if (header !== undefined) lines.push(`#${header}`);
  for (const [k, v] of entries) lines.push(`${k.replace(/([=:\s\\])/g, "\\$1")}=${v.replace(/\\/g, "\\\\")}`);
  return lines.join("\n") + "\n";
}
