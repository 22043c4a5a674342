#!/usr/bin/env node
// Runs a TypeScript bench as plain node: bundles it with esbuild (the same compiler tsup uses for
// dist/, workspace sources via the "source" condition) and executes the bundle. Benches measure
// the code as it ships; under a TS loader (tsx) the loader's hooks and its bigger heap cost the
// process up to 2x the CPU on allocation-heavy paths (measured on the storage append bench).
// Usage: node scripts/run-bench.mjs packages/storage/bench/log.bench.ts [args...]
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [entry, ...args] = process.argv.slice(2);
if (entry === undefined || entry === "--help" || entry === "-h") {
  console.error("usage: node scripts/run-bench.mjs <bench.ts> [args...]");
  process.exit(entry === undefined ? 1 : 0);
}
const entryPath = resolve(entry);
// esbuild is a dependency of tsup; resolve it from there (pnpm keeps it out of the root).
const requireFromTsup = createRequire(createRequire(join(root, "package.json")).resolve("tsup"));
const esbuild = requireFromTsup("esbuild");

// Native addons and packages that load files relative to themselves stay outside the bundle,
// imported by absolute path from where the importing module would have found them.
const EXTERNAL = /^(fast-crc32c|sse4_crc32|snappy|lz4-napi|@mongodb-js\/zstd|pino|pino-pretty|thread-stream)(\/.*)?$/;
const externals = {
  name: "resolve-externals",
  setup(build) {
    build.onResolve({ filter: EXTERNAL }, (a) => {
      const from = isAbsolute(a.importer) ? a.importer : entryPath;
      return { path: createRequire(from).resolve(a.path), external: true };
    });
  },
};

const outDir = join(root, "node_modules", ".cache", "gregor-bench");
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, basename(entryPath).replace(/\.ts$/, ".mjs"));
await esbuild.build({
  entryPoints: [entryPath],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["source"],
  sourcemap: "inline",
  logLevel: "warning",
  plugins: [externals],
  // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const r = spawnSync(
  process.execPath,
  [...(process.env.BENCH_SOURCE_MAPS === "1" ? ["--enable-source-maps"] : []), outfile, ...args],
  { stdio: "inherit", cwd: process.cwd() },
);
process.exit(r.status ?? 1);
