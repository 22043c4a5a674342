#!/usr/bin/env node
// Generates TypeScript encoders/decoders from the facts-only Kafka message specs in ../specs.
// Usage: node scripts/generate.mjs [outDir]   (default: ../src/generated). Output is committed;
// a test regenerates into a temp dir and checks that nothing changes.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const specDir = join(here, "../specs");
const outDir = process.argv[2] ?? join(here, "../src/generated");

// ---- version ranges -------------------------------------------------------------------------
function parseRange(s, max = 0x7fff) {
  if (s === undefined || s === "none") return null;
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), max];
  if (s.includes("-")) {
    const [a, b] = s.split("-").map(Number);
    return [a, b];
  }
  return [Number(s), Number(s)];
}
const intersect = (a, b) =>
  a && b && Math.max(a[0], b[0]) <= Math.min(a[1], b[1]) ? [Math.max(a[0], b[0]), Math.min(a[1], b[1])] : null;
const covers = (outer, inner) => outer !== null && inner !== null && outer[0] <= inner[0] && outer[1] >= inner[1];
/** A JS condition on `v` that is true exactly for versions in `r`, given `v` is within `ctx`. */
function cond(r, ctx) {
  if (r === null) return "false";
  const parts = [];
  if (r[0] > ctx[0]) parts.push(`v >= ${r[0]}`);
  if (r[1] < ctx[1]) parts.push(`v <= ${r[1]}`);
  return parts.length === 0 ? "true" : parts.join(" && ");
}

// ---- names and types ------------------------------------------------------------------------
/** Types the Reader and Writer have a same-named method for (fixed width, no length prefix). */
const FIXED_WIDTH = new Set(["bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "uuid"]);
const camel = (s) => s[0].toLowerCase() + s.slice(1);
const kebab = (s) => s.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
const PRIMS = new Set([
  "bool",
  "int8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "float64",
  "string",
  "uuid",
  "bytes",
  "records",
]);
const TS_PRIM = {
  bool: "boolean",
  int8: "number",
  int16: "number",
  uint16: "number",
  int32: "number",
  uint32: "number",
  int64: "bigint",
  float64: "number",
  string: "string",
  uuid: "string",
  bytes: "Buffer",
  records: "Records",
};

function defaultLiteral(f, type, nullable) {
  const d = f.default;
  if (d === "null") return "null";
  if (type.startsWith("[]")) return "[]";
  if (d === undefined || d === "") {
    if (nullable && type === "records") return "null";
    switch (type) {
      case "bool":
        return "false";
      case "int64":
        return "0n";
      case "string":
        return '""';
      case "uuid":
        return "ZERO_UUID";
      case "bytes":
        return "EMPTY_BYTES";
      case "records":
        return "null";
      default:
        return PRIMS.has(type) ? "0" : "undefined";
    }
  }
  if (type === "bool") return d === "true" ? "true" : "false";
  if (type === "int64") return `${BigInt(d)}n`;
  if (type === "string") return JSON.stringify(d);
  return String(Number(d));
}

// ---- code emission --------------------------------------------------------------------------
class Gen {
  constructor(spec) {
    this.spec = spec;
    this.name = spec.name;
    this.valid = parseRange(spec.validVersions);
    this.flex = parseRange(spec.flexibleVersions);
    this.structs = []; // { tsName, fields, range }
    this.common = new Map((spec.commonStructs ?? []).map((c) => [c.name, c]));
    this.emittedCommon = new Set();
    this.types = [];
    this.fns = [];
  }

  structName(typeName) {
    return `${this.name}${typeName}`;
  }

  collect(fields, tsName, range) {
    this.structs.push({ tsName, fields, range });
    for (const f of fields) {
      const fr = intersect(parseRange(f.versions), range);
      if (fr === null) continue;
      const base = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
      if (PRIMS.has(base)) continue;
      const sub = f.fields ?? this.common.get(base)?.fields;
      if (!sub) throw new Error(`${this.name}: unknown type ${f.type}`);
      if (!f.fields) {
        if (this.emittedCommon.has(base)) continue;
        this.emittedCommon.add(base);
        // common structs are shared: decode them over the message's whole range
        this.collect(sub, this.structName(base), this.valid);
        continue;
      }
      this.collect(sub, this.structName(base), fr);
    }
  }

  tsType(f) {
    const base = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
    const el = PRIMS.has(base) ? TS_PRIM[base] : this.structName(base);
    const t = f.type.startsWith("[]") ? `${el}[]` : el;
    return f.nullableVersions ? `${t} | null` : t;
  }

  emitInterface({ tsName, fields, range }) {
    const lines = [`export interface ${tsName} {`];
    for (const f of fields) {
      const fr = intersect(parseRange(f.versions), range);
      if (fr === null) continue;
      const tagged = f.taggedVersions !== undefined;
      const base = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
      const isStruct = !PRIMS.has(base) && !f.type.startsWith("[]");
      const optional = tagged || !covers(fr, range) || (isStruct && f.nullableVersions);
      lines.push(`  ${camel(f.name)}${optional ? "?" : ""}: ${this.tsType(f)};`);
    }
    lines.push("}");
    this.types.push(lines.join("\n"));
  }

  /** Expression encoding a primitive value `x` of `type`; `nullable`/`compact` are JS conditions. */
  primWrite(type, x, nullable, compact, fieldName) {
    const pick = (plain, comp) =>
      compact === "true" ? comp : compact === "false" ? plain : `if (${compact}) { ${comp} } else { ${plain} }`;
    const nn = (m) => (nullable === "true" ? `w.${m}Nullable` : null);
    if (FIXED_WIDTH.has(type)) return `w.${type}(${x});`;
    switch (type) {
      case "string":
      case "bytes":
      case "records": {
        const kind = type === "string" ? "String" : type === "records" ? "Records" : "Bytes";
        if (type === "records") return pick(`writeRecords(w, ${x}, false);`, `writeRecords(w, ${x}, true);`);
        const plainN = `w.nullable${kind}(${x});`,
          compN = `w.compactNullable${kind}(${x});`;
        const plainR = `w.${camel(kind)}(req(${x}, "${fieldName}"));`,
          compR = `w.compact${kind}(req(${x}, "${fieldName}"));`;
        if (nullable === "true") return pick(plainN, compN);
        if (nullable === "false") return pick(plainR, compR);
        return `if (${nullable}) { ${pick(plainN, compN)} } else { ${pick(plainR, compR)} }`;
      }
    }
    void nn;
    throw new Error(type);
  }

  primRead(type, nullable, compact, fieldName) {
    const fn = JSON.stringify(fieldName);
    const pick = (plain, comp) =>
      compact === "true" ? comp : compact === "false" ? plain : `(${compact} ? ${comp} : ${plain})`;
    if (FIXED_WIDTH.has(type)) return `r.${type}(${fn})`;
    switch (type) {
      case "records":
        return pick(`readRecords(r, false, ${fn})`, `readRecords(r, true, ${fn})`);
      case "string":
      case "bytes": {
        const kind = type === "string" ? "String" : "Bytes";
        const n = pick(`r.nullable${kind}(${fn})`, `r.compactNullable${kind}(${fn})`);
        const p = pick(`r.${camel(kind)}(${fn})`, `r.compact${kind}(${fn})`);
        if (nullable === "true") return n;
        if (nullable === "false") return p;
        return `(${nullable} ? ${n} : ${p})`;
      }
    }
    throw new Error(type);
  }

  fieldConds(f, range) {
    const fr = intersect(parseRange(f.versions), range);
    const nr = intersect(parseRange(f.nullableVersions), fr);
    const nullable = nr === null ? "false" : covers(nr, fr) ? "true" : cond(nr, range);
    const ffr = f.flexibleVersions !== undefined ? parseRange(f.flexibleVersions) : this.flex;
    const fx = intersect(ffr, fr);
    const compact = fx === null ? "false" : covers(fx, fr) ? "true" : cond(fx, range);
    return { fr, nullable, compact };
  }

  /** Statements writing field `f` whose value is `x`. */
  writeField(f, x, range, ind) {
    const { nullable, compact } = this.fieldConds(f, range);
    const fname = f.name;
    if (f.type.startsWith("[]")) {
      const base = f.type.slice(2);
      const el = PRIMS.has(base)
        ? this.primWrite(base, "e", "false", compact, fname)
        : `encode${this.structName(base)}(w, v, e);`;
      const body = `for (const e of a) ${el.replace(/;$/, "")};`;
      if (nullable !== "false") {
        return `${ind}{ const a = ${x}; if (a == null) { ${nullable === "true" ? "" : `if (!(${nullable})) throw new ProtocolEncodeError("${fname} is not nullable in v" + v); `}w.arrayLength(null, ${compact}); } else { w.arrayLength(a.length, ${compact}); ${body} } }`;
      }
      return `${ind}{ const a = req(${x}, "${fname}"); w.arrayLength(a.length, ${compact}); ${body} }`;
    }
    if (PRIMS.has(f.type)) return `${ind}${this.primWrite(f.type, x, nullable, compact, fname)}`;
    const sn = this.structName(f.type);
    if (nullable !== "false")
      return `${ind}{ const s = ${x}; if (s == null) w.int8(-1); else { w.int8(1); encode${sn}(w, v, s); } }`;
    return `${ind}encode${sn}(w, v, req(${x}, "${fname}"));`;
  }

  readField(f, range) {
    const { nullable, compact } = this.fieldConds(f, range);
    const fname = f.name;
    if (f.type.startsWith("[]")) {
      const base = f.type.slice(2);
      const el = PRIMS.has(base)
        ? this.primRead(base, "false", compact, fname)
        : `decode${this.structName(base)}(r, v)`;
      return `readArray(r, ${compact}, ${JSON.stringify(fname)}, ${nullable !== "false"}, (r) => ${el})`;
    }
    if (PRIMS.has(f.type)) return this.primRead(f.type, nullable, compact, fname);
    const sn = this.structName(f.type);
    if (nullable !== "false") return `(r.int8(${JSON.stringify(fname)}) < 0 ? null : decode${sn}(r, v))`;
    return `decode${sn}(r, v)`;
  }

  emitCodec({ tsName, fields, range }) {
    const live = fields.map((f) => ({ f, fr: intersect(parseRange(f.versions), range) })).filter((x) => x.fr !== null);
    const regular = live.filter((x) => x.f.taggedVersions === undefined);
    const tagged = live.filter((x) => x.f.taggedVersions !== undefined).sort((a, b) => a.f.tag - b.f.tag);
    const flexCond = cond(intersect(this.flex, range), range);
    const enc = [`export function encode${tsName}(w: Writer, v: number, m: ${tsName}): void {`];
    for (const { f, fr } of regular) {
      const c = cond(fr, range);
      const key = `m.${camel(f.name)}`;
      const isOpt = !covers(fr, range);
      const x = isOpt
        ? `(${key} === undefined ? ${defaultLiteral(f, f.type, f.nullableVersions !== undefined)} : ${key})`
        : key;
      const stmt = this.writeField(f, x, range, "");
      enc.push(c === "true" ? `  ${stmt}` : `  if (${c}) ${stmt.startsWith("{") ? stmt : `{ ${stmt} }`}`);
    }
    if (flexCond !== "false") {
      const tbody = [];
      if (tagged.length > 0) {
        tbody.push(`    let n = 0;`);
        const checks = tagged.map(({ f, fr }) => {
          const key = `m.${camel(f.name)}`;
          const d = defaultLiteral(f, f.type, f.nullableVersions !== undefined);
          const tv = cond(intersect(parseRange(f.taggedVersions), fr), range);
          const isArr = f.type.startsWith("[]");
          const present = isArr
            ? `${key} != null && ${d === "null" ? "true" : `${key}.length > 0`}`
            : d === "undefined" || d === "null"
              ? `${key} != null`
              : f.type === "bytes" || f.type === "uuid"
                ? `${key} !== undefined`
                : `${key} !== undefined && ${key} !== ${d}`;
          return { f, key, present: `(${tv}) && ${present}` };
        });
        for (const c of checks) tbody.push(`    const has${c.f.name} = ${c.present};`, `    if (has${c.f.name}) n++;`);
        tbody.push(`    w.uvarint(n);`);
        for (const c of checks) {
          const rangeAll = [0, 0x7fff];
          // the field's own bytes are written into a scratch writer to learn their length
          const inner = this.writeField({ ...c.f, taggedVersions: undefined }, `${c.key}!`, range, "")
            .replace(/\bw\./g, "t.")
            .replace(/\(w, v,/g, "(t, v,")
            .replace(/writeRecords\(w,/g, "writeRecords(t,");
          void rangeAll;
          tbody.push(
            `    if (has${c.f.name}) { const t = new Writer(64); ${inner} const b = t.toBuffer(); w.uvarint(${c.f.tag}); w.uvarint(b.length); w.raw(b); }`,
          );
        }
      } else tbody.push(`    w.uvarint(0);`);
      enc.push(
        flexCond === "true" ? `  {\n${tbody.join("\n")}\n  }` : `  if (${flexCond}) {\n${tbody.join("\n")}\n  }`,
      );
    }
    enc.push("}");

    const dec = [`export function decode${tsName}(r: Reader, v: number): ${tsName} {`];
    const names = [];
    for (const { f, fr } of regular) {
      const c = cond(fr, range);
      const local = `_${camel(f.name)}`;
      names.push([camel(f.name), local, !covers(fr, range)]);
      const d = defaultLiteral(f, f.type, f.nullableVersions !== undefined);
      dec.push(
        c === "true"
          ? `  const ${local} = ${this.readField(f, range)};`
          : `  const ${local} = ${c} ? ${this.readField(f, range)} : ${d};`,
      );
    }
    if (flexCond !== "false") {
      for (const { f } of tagged) {
        const d = defaultLiteral(f, f.type, f.nullableVersions !== undefined);
        dec.push(`  let _${camel(f.name)}: ${this.tsType(f)}${d === "undefined" ? " | undefined" : ""} = ${d};`);
      }
      const cases = tagged.map(
        ({ f, fr }) =>
          `      case ${f.tag}: if (${cond(intersect(parseRange(f.taggedVersions), fr), range)}) { _${camel(f.name)} = ${this.readField({ ...f, taggedVersions: undefined }, range)}; return true; } return false;`,
      );
      const cb =
        tagged.length === 0
          ? ""
          : `(tag, r) => {\n    switch (tag) {\n${cases.join("\n")}\n      default: return false;\n    }\n  }`;
      dec.push(flexCond === "true" ? `  r.taggedFields(${cb});` : `  if (${flexCond}) r.taggedFields(${cb});`);
    }
    const props = names.map(([n, l]) => `${n}: ${l}`);
    const tagProps = flexCond !== "false" ? tagged.map(({ f }) => camel(f.name)) : [];
    dec.push(`  const m: ${tsName} = { ${props.join(", ")} };`);
    for (const t of tagProps) dec.push(`  if (_${t} !== undefined) m.${t} = _${t};`);
    dec.push(`  return m;`, "}");
    this.fns.push(enc.join("\n"), dec.join("\n"));
  }

  generate() {
    this.collect(this.spec.fields, this.name, this.valid);
    for (const s of this.structs) this.emitInterface(s);
    for (const s of this.structs) this.emitCodec(s);
    const body = [...this.types, ...this.fns].join("\n\n");
    const needs = (s) => new RegExp(`\\b${s}\\b`).test(body);
    const helpers = ["req", "readArray", "readRecords", "writeRecords", "ZERO_UUID", "EMPTY_BYTES"].filter(needs);
    const imports = [
      `import { Reader } from "../primitives/reader.js";`,
      `import { Writer } from "../primitives/writer.js";`,
      ...(needs("ProtocolEncodeError") ? [`import { ProtocolEncodeError } from "../primitives/errors.js";`] : []),
      ...(helpers.length ? [`import { ${helpers.join(", ")} } from "../primitives/codegen-helpers.js";`] : []),
      ...(needs("Records") ? [`import type { Records } from "../primitives/codegen-helpers.js";`] : []),
    ];
    const meta = `export const ${camel(this.name)}Meta = { name: "${this.name}", ${this.spec.apiKey !== undefined ? `apiKey: ${this.spec.apiKey}, ` : ""}minVersion: ${this.valid[0]}, maxVersion: ${this.valid[1]}, flexibleMinVersion: ${this.flex ? this.flex[0] : -1} } as const;`;
    return [
      `// Generated by scripts/generate.mjs from specs/${this.name}.json. Do not edit.`,
      "/* eslint-disable */",
      ...imports,
      "",
      meta,
      "",
      body,
      "",
    ]
      .join("\n")
      .replace(/^import \{ Reader \}/m, needs("Reader") ? "import { Reader }" : "import type { Reader }");
  }
}

// ---- main -----------------------------------------------------------------------------------
const specs = readdirSync(specDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(specDir, f), "utf8")));
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const index = ["// Generated by scripts/generate.mjs. Do not edit.", ""];
const apis = new Map();
for (const spec of specs) {
  const code = new Gen(spec).generate();
  const file = kebab(spec.name);
  writeFileSync(join(outDir, `${file}.ts`), code);
  index.push(`export * from "./${file}.js";`);
  if (spec.apiKey !== undefined) {
    const e = apis.get(spec.apiKey) ?? {};
    e[spec.type] = spec;
    apis.set(spec.apiKey, e);
  }
}
const table = [
  "// Generated by scripts/generate.mjs. Do not edit.",
  `import type { Reader } from "../primitives/reader.js";`,
  `import type { Writer } from "../primitives/writer.js";`,
  `import type { ApiKey } from "./api-keys.js";`,
];
const rows = [];
for (const [key, { request, response }] of [...apis.entries()].sort((a, b) => a[0] - b[0])) {
  const base = request.name.replace(/Request$/, "");
  for (const s of [request, response])
    table.push(`import { encode${s.name}, decode${s.name} } from "./${kebab(s.name)}.js";`);
  const vr = parseRange(request.validVersions),
    fr = parseRange(request.flexibleVersions);
  rows.push(
    `  { apiKey: ${key}, name: "${base}", minVersion: ${vr[0]}, maxVersion: ${vr[1]}, flexibleMinVersion: ${fr ? fr[0] : -1}, encodeRequest: encode${request.name}, decodeRequest: decode${request.name}, encodeResponse: encode${response.name}, decodeResponse: decode${response.name} },`,
  );
}
table.push(
  "",
  "export interface ApiCodec {",
  "  apiKey: ApiKey;",
  "  name: string;",
  "  minVersion: number;",
  "  maxVersion: number;",
  "  /** First version using compact encodings and tagged fields; -1 if none. */",
  "  flexibleMinVersion: number;",
  "  encodeRequest(w: Writer, v: number, m: any): void;",
  "  decodeRequest(r: Reader, v: number): any;",
  "  encodeResponse(w: Writer, v: number, m: any): void;",
  "  decodeResponse(r: Reader, v: number): any;",
  "}",
  "",
  "export const API_CODECS: readonly ApiCodec[] = [",
  ...rows,
  "];",
  "",
);
writeFileSync(join(outDir, "api-codecs.ts"), table.join("\n"));
const keys = [
  "// Generated by scripts/generate.mjs. Do not edit.",
  "/** Kafka's API keys by name (the request spec's name without `Request`). */",
  "export const ApiKey = Object.freeze({",
  ...[...apis.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([key, { request }]) => `  ${request.name.replace(/Request$/, "")}: ${key},`),
  "} as const);",
  "",
  "/** One of Kafka's API keys as a literal type (`ApiKey.Fetch` is `1`). */",
  "export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];",
  "",
];
writeFileSync(join(outDir, "api-keys.ts"), keys.join("\n"));
index.push(`export * from "./api-codecs.js";`, `export * from "./api-keys.js";`, "");
writeFileSync(join(outDir, "index.ts"), index.join("\n"));
console.log(`generated ${specs.length} messages and ${apis.size} API codecs into ${outDir}`);
