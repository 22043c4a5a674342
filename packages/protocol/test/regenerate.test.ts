import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

const pkg = join(import.meta.dirname, "..");

it("regenerating the codecs from specs/ is a no-op", () => {
  const out = mkdtempSync(join(tmpdir(), "gregor-gen-"));
  try {
    execFileSync(process.execPath, [join(pkg, "scripts/generate.mjs"), out], { stdio: "pipe" });
    const committed = readdirSync(join(pkg, "src/generated")).sort();
    expect(readdirSync(out).sort()).toEqual(committed);
    for (const f of committed) {
      expect(readFileSync(join(out, f), "utf8"), f).toBe(readFileSync(join(pkg, "src/generated", f), "utf8"));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

it("specs/ holds facts only: no prose fields", () => {
  for (const f of readdirSync(join(pkg, "specs"))) {
    const text = readFileSync(join(pkg, "specs", f), "utf8");
    expect(text, f).not.toMatch(/"about"|\/\//);
  }
});
