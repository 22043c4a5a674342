// Three combined nodes as OS processes (bin/kafka-server-start.sh): SIGKILL of the active controller's
// process group elects another and CreateTopics works again; the killed node restarts on its data;
// with two of three killed, CreateTopics fails with a retriable error instead of hanging.
import { isRetriable } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { until } from "../cluster/harness.js";
import { createTopicOn, suiteCluster } from "./helpers.js";

describe("controller failover, real processes", () => {
  const cluster = suiteCluster();

  it("kill -9 of the active controller: a new active controller, CreateTopics works again, the node rejoins", async () => {
    const c = cluster();
    const first = await until("an active controller", async () => {
      const id = await c.activeControllerId();
      return id > 0 ? id : undefined;
    });
    const victim = c.node(first);
    const others = c.nodes.filter((n) => n !== victim);
    expect((await createTopicOn(others[0]!, "before-kill", 3, 2)).errorCode).toBe(0);
    await victim.kill();
    expect(victim.running).toBe(false);
    expect((await victim.exited).signal).toBe("SIGKILL");
    const next = await until(
      "another active controller",
      async () => {
        const id = await c.activeControllerId();
        return id > 0 && id !== first ? id : undefined;
      },
      15_000,
    );
    expect(others.map((n) => n.id)).toContain(next);
    const created = await until(
      "CreateTopics after the kill",
      async () => {
        const r = await createTopicOn(others[1]!, "after-kill", 3, 2);
        return r.errorCode === 0 ? r : undefined;
      },
      15_000,
    );
    expect(created.errorCode).toBe(0);
    await victim.restart();
    await c.waitForBrokers(30_000);
  });

  it("without a majority (two nodes killed) CreateTopics fails with a retriable error, never hangs", async () => {
    const c = cluster();
    const [survivor, ...killed] = c.nodes;
    for (const n of killed) await n.kill();
    const started = Date.now();
    const r = await createTopicOn(survivor!, "no-majority", 1, 1, 20_000);
    expect(r.errorCode).not.toBe(0);
    expect(isRetriable(r.errorCode)).toBe(true);
    // Bounded by controller.quorum.request.timeout.ms (1.5 s here) plus the forwarding hop.
    expect(Date.now() - started).toBeLessThan(15_000);
    await Promise.all(killed.map((n) => n.restart()));
    await c.waitForBrokers(30_000);
    const after = await until("CreateTopics with the majority back", async () => {
      const res = await createTopicOn(survivor!, "majority-back", 1, 1);
      return res.errorCode === 0 ? res : undefined;
    });
    expect(after.errorCode).toBe(0);
  });
});
