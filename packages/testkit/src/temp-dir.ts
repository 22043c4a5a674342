import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished, TestRunner } from "vitest";

/**
 * A fresh directory under the OS temp dir, removed by vitest when done with it: after the test
 * when created inside a test, after the suite (describe block or file) when created while the
 * suite is collected. Only for use under vitest.
 */
export function tempDir(prefix = "gregor-test-"): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = (): void => rmSync(path, { recursive: true, force: true });
  if (TestRunner.getCurrentTest() !== undefined) onTestFinished(remove);
  else afterAll(remove);
  return path;
}
