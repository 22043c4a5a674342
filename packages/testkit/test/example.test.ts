// The README's example: run it with `pnpm exec vitest run packages/testkit/test/example.test.ts`.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, Prng, tempDir, until } from "@gregor/testkit";

describe("testkit example", () => {
  const dir = tempDir("example-"); // removed after this describe block

  it("writes seeded data, serves it on a free port, and waits for it with a bounded poll", async () => {
    const seed = Number(process.env.EXAMPLE_SEED ?? 1234);
    const rng = new Prng(seed);
    const values = Array.from({ length: 10 }, () => rng.int(0, 99));
    writeFileSync(join(dir, "values.json"), JSON.stringify(values));

    const port = await freePort();
    const server = createServer((socket) => socket.end(readFileSync(join(dir, "values.json"))));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      let received = "";
      const socket = connect(port, "127.0.0.1");
      socket.on("data", (chunk) => {
        received += chunk.toString();
      });
      const parsed = await until(() => (received.endsWith("]") ? (JSON.parse(received) as number[]) : undefined), {
        what: "the values from the server",
        timeoutMs: 5_000,
      });
      expect(parsed, `seed ${seed}`).toEqual(values);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
