#!/usr/bin/env node
// Runs the whole test suite: format + lint (Biome), typecheck (tsc over every package's src, tests and
// benches), builds every package (apps run from dist/), then vitest, and ends with the plain
// "N passed, M failed" line that CI reads. A lint or type error counts as a failed test.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const report = join(root, ".vitest-report.json");
rmSync(report, { force: true });

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });

const deps = run("bash", [join(root, "scripts/ensure-test-deps.sh")]);
if (deps.status !== 0) {
  console.log("0 passed, 1 failed");
  process.exit(1);
}

// Static checks first: they are quick and their errors are the cheapest to read.
const checks = [
  ["format + lint (biome ci)", ["exec", "biome", "ci", "--reporter=summary", "."]],
  ["typecheck (tsc --noEmit, every package)", ["exec", "turbo", "run", "typecheck", "--output-logs=errors-only"]],
];
let checkFailures = 0;
for (const [what, args] of checks) {
  const r = run("pnpm", args);
  if (r.status !== 0) {
    console.log(`FAILED: ${what}`);
    checkFailures++;
  }
}

const build = run("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"]);
if (build.status !== 0) {
  console.log("build failed");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const extra = process.argv.slice(2);
const vitest = run("pnpm", [
  "exec",
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...extra,
]);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed = r.numPassedTests;
  failed =
    r.numFailedTests +
    (r.numRuntimeErrorTestSuites ?? 0) +
    r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  skipped = r.numPendingTests + r.numTodoTests;
} catch (err) {
  console.log(`could not read the vitest report: ${err.message}`);
  failed = Math.max(failed, 1);
}
passed += checks.length - checkFailures;
failed += checkFailures;
const status = vitest.status !== 0 && failed === 0 ? 1 : failed;
console.log(`${passed} passed, ${status} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(vitest.status === 0 && failed === 0 ? 0 : 1);
