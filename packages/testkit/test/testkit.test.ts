import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, Prng, tempDir, until, within } from "../src/index.js";

describe("Prng", () => {
  // Recorded from the generators the tests used before the kit, so their seeds still replay.
  it("sfc32 (the default) gives the raft simulator's sequence", () => {
    const rng = new Prng(42);
    expect([rng.next(), rng.next(), rng.int(1, 100), rng.fork().next()]).toEqual([
      0.23955312534235418, 0.5859209857881069, 10, 0.3187708742916584,
    ]);
  });

  it("mulberry32 gives the fuzz and crash tests' sequence", () => {
    const rng = new Prng(20261125, "mulberry32");
    expect([rng.random(), rng.random(), rng.next()]).toEqual([
      0.27387164323590696, 0.34019215404987335, 0.7095697165932506,
    ]);
  });

  it("stays in range and is deterministic per seed", () => {
    const a = new Prng(7);
    const b = new Prng(7);
    for (let i = 0; i < 1000; i++) {
      const n = a.int(-3, 3);
      expect(n).toBe(b.int(-3, 3));
      expect(n).toBeGreaterThanOrEqual(-3);
      expect(n).toBeLessThanOrEqual(3);
      const f = a.float(2, 5);
      expect(f).toBe(b.float(2, 5));
      expect(f >= 2 && f < 5).toBe(true);
    }
    expect(a.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => a.pick([])).toThrow(/empty/);
  });
});

describe("until", () => {
  it("returns the first value that is not undefined, null or false", async () => {
    let calls = 0;
    const value = await until(() => (++calls >= 3 ? { calls } : undefined), { what: "three calls", intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it("awaits an async check", async () => {
    let n = 0;
    expect(await until(async () => ++n === 2, { what: "n = 2", intervalMs: 1 })).toBe(true);
  });

  it("fails naming what it waited for", async () => {
    const started = Date.now();
    await expect(until(() => false, { what: "a leader", timeoutMs: 50, intervalMs: 5 })).rejects.toThrow(
      "timed out after 50 ms waiting for a leader",
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("describes progress at the timeout when `what` is a function", async () => {
    let polls = 0;
    await expect(
      until(() => ++polls > 1e9, { what: () => `more polls (${polls > 1 ? "several" : "one"} so far)`, timeoutMs: 30 }),
    ).rejects.toThrow("timed out after 30 ms waiting for more polls (several so far)");
  });

  it("lets an error from the check through", async () => {
    await expect(
      until(
        () => {
          throw new Error("boom");
        },
        { what: "never" },
      ),
    ).rejects.toThrow("boom");
  });
});

describe("within", () => {
  it("passes a settled value through", async () => {
    expect(await within(Promise.resolve(7), { what: "seven" })).toBe(7);
  });

  it("fails naming what it waited for when the promise does not settle in time", async () => {
    await expect(within(new Promise(() => {}), { what: "a reply", timeoutMs: 30 })).rejects.toThrow(
      "timed out after 30 ms waiting for a reply",
    );
  });
});

describe("tempDir", () => {
  const suiteDir = tempDir("testkit-suite-");
  let testDir = "";
  afterAll(() => {
    // Hooks run in reverse order of registration: this one runs before the suite dir's removal.
    expect(existsSync(suiteDir)).toBe(true);
  });

  it("creates the directory", () => {
    expect(existsSync(suiteDir)).toBe(true);
    testDir = tempDir("testkit-test-");
    expect(existsSync(testDir)).toBe(true);
  });

  it("removes a directory made inside a test after that test", () => {
    expect(testDir).not.toBe("");
    expect(existsSync(testDir)).toBe(false);
  });
});

describe("freePort", () => {
  it("returns a port that can be bound", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
