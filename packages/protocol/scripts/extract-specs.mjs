#!/usr/bin/env node
// Copies the facts of Kafka's JSON message specs (names, types, versions, tags, defaults) into
// ../specs/, dropping comments and prose ("about"), so the generator's input lives in the repo.
// Usage: node scripts/extract-specs.mjs [sourceDir]   (default: ../../../../shared/kafka-protocol/messages)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const src = process.argv[2] ?? join(here, "../../../../shared/kafka-protocol/messages");
const out = join(here, "../specs");
const KEEP_TOP = [
  "apiKey",
  "type",
  "name",
  "validVersions",
  "deprecatedVersions",
  "flexibleVersions",
  "latestVersionUnstable",
];
const KEEP_FIELD = [
  "name",
  "type",
  "versions",
  "nullableVersions",
  "taggedVersions",
  "tag",
  "flexibleVersions",
  "default",
  "ignorable",
  "mapKey",
  "entityType",
  "zeroCopy",
];

const pick = (o, keys) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
const fields = (list) =>
  list.map((f) => ({ ...pick(f, KEEP_FIELD), ...(f.fields ? { fields: fields(f.fields) } : {}) }));

mkdirSync(out, { recursive: true });
let n = 0;
for (const dir of [src, join(src, "internal")]) {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const text = readFileSync(join(dir, file), "utf8")
      .split("\n")
      .filter((l) => !l.trim().startsWith("//"))
      .join("\n");
    const spec = JSON.parse(text);
    const facts = { ...pick(spec, KEEP_TOP), fields: fields(spec.fields ?? []) };
    if (spec.commonStructs)
      facts.commonStructs = spec.commonStructs.map((c) => ({
        ...pick(c, ["name", "versions"]),
        fields: fields(c.fields),
      }));
    writeFileSync(join(out, file), JSON.stringify(facts, null, 1) + "\n");
    n++;
  }
}
console.log(`wrote ${n} spec files to ${out}`);
