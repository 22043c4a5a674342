// Three combined nodes as OS processes (each runs startClusterNode): SIGKILL the active controller,
// the others elect a new one and CreateTopics succeeds; SIGTERM stops a node cleanly.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Connection } from "@gregor/client";
import type { CreateTopicsResponse, DescribeQuorumResponse } from "@gregor/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { ControllerChannel } from "../../src/cluster/controller-channel.js";
import { formatStorage, newClusterId } from "../../src/metadata/meta-properties.js";
import { CREATE_TOPICS, createTopicsRequest, freePorts, TEST_TIMEOUTS, topicsNotController, until } from "./harness.js";

const SCRIPT = resolve(import.meta.dirname, "fixtures/cluster-node-process.ts");
const REPO = resolve(import.meta.dirname, "../../../..");

interface ProcNode {
  id: number;
  controllerPort: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function leaderOf(node: ProcNode): Promise<number> {
  const c = await Connection.connect({
    host: "127.0.0.1",
    port: node.controllerPort,
    clientId: "test",
    connectTimeoutMs: 500,
  });
  try {
    const res = await c.request<DescribeQuorumResponse>(55, {
      topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }],
    });
    return res.topics[0]!.partitions[0]!.leaderId;
  } finally {
    c.close();
  }
}

describe("3 cluster nodes as OS processes", () => {
  const children: ChildProcess[] = [];
  let root = "";
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    if (root !== "") await rm(root, { recursive: true, force: true });
  });

  it("SIGKILL of the active controller: a new one is elected and CreateTopics succeeds; SIGTERM exits cleanly", async () => {
    root = await mkdtemp(join(tmpdir(), "gregor-cluster-proc-"));
    const clusterId = newClusterId();
    const ids = [1, 2, 3];
    const ports = await freePorts(6);
    const voters = ids.map((id, i) => `${id}@127.0.0.1:${ports[2 * i + 1]}`).join(",");
    const nodes: ProcNode[] = [];
    for (const [i, id] of ids.entries()) {
      const dir = join(root, `node-${id}`);
      await formatStorage({ dirs: [dir], clusterId, nodeId: id });
      const config = {
        "node.id": id,
        "process.roles": "broker,controller",
        "controller.quorum.voters": voters,
        "controller.listener.names": "CONTROLLER",
        listeners: `PLAINTEXT://127.0.0.1:${ports[2 * i]},CONTROLLER://127.0.0.1:${ports[2 * i + 1]}`,
        "log.dirs": dir,
        ...TEST_TIMEOUTS,
      };
      const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", SCRIPT], {
        cwd: REPO,
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, GREGOR_NODE_CONFIG: JSON.stringify(config), GREGOR_CLUSTER_ID: clusterId },
      });
      children.push(child);
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      nodes.push({ id, controllerPort: ports[2 * i + 1]!, child, exited });
    }
    const channel = new ControllerChannel({
      voters: ids.map((id, i) => ({ id, host: "127.0.0.1", port: ports[2 * i + 1]! })),
      clientId: "test",
      requestTimeoutMs: TEST_TIMEOUTS["controller.quorum.request.timeout.ms"],
    });
    try {
      const create = (name: string) =>
        until(
          `CreateTopics ${name}`,
          async () => {
            const res = await channel.send<CreateTopicsResponse>(CREATE_TOPICS, createTopicsRequest(name, 1, 1), {
              isNotController: topicsNotController,
            });
            return res.topics[0]!.errorCode === 0 ? res : undefined;
          },
          30_000,
        );
      await create("before-kill");
      const leaderId = await until(
        "a leader",
        async () => {
          const id = await leaderOf(nodes[0]!);
          return id > 0 ? id : undefined;
        },
        30_000,
      );
      const leader = nodes.find((n) => n.id === leaderId)!;
      leader.child.kill("SIGKILL");
      await leader.exited;
      const survivors = nodes.filter((n) => n !== leader);
      const next = await until(
        "a new leader",
        async () => {
          const seen = await Promise.all(survivors.map((n) => leaderOf(n).catch(() => -1)));
          return seen.every((id) => id > 0 && id !== leaderId && id === seen[0]) ? seen[0] : undefined;
        },
        30_000,
      );
      expect(next).not.toBe(leaderId);
      const res = await create("after-kill");
      expect(res.topics[0]!.errorCode).toBe(0);
      // SIGTERM: controlled shutdown, then exit 0 within 15 s.
      for (const n of survivors) n.child.kill("SIGTERM");
      const started = Date.now();
      const codes = await Promise.all(survivors.map((n) => n.exited));
      expect(codes).toEqual([0, 0]);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      channel.close();
    }
  });
});
