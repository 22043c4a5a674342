// Committed offsets survive SIGKILL: they are appended to __consumer_offsets and fsynced before
// OffsetCommit is answered, and replayed when the broker starts again.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { Connection } from "@gregor/client";
import type { OffsetCommitResponse } from "@gregor/protocol";
import { tempDir, within } from "@gregor/testkit";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = join(import.meta.dirname, "fixtures", "group-broker.mts");
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

function startChild(dataDir: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", SCRIPT, dataDir, String(port)], {
    cwd: join(import.meta.dirname, "..", "..", ".."),
    stdio: ["ignore", "pipe", "ignore"],
  });
  children.push(child);
  const ready = new Promise<{ child: ChildProcess; port: number }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return within(ready, { what: `broker child ${child.pid} to print READY`, timeoutMs: 30_000 });
}

describe("committed offsets and SIGKILL", () => {
  it("are all there after the broker is killed -9 right after the commits were acknowledged", async () => {
    const dataDir = tempDir("gregor-group-kill-");
    const first = await startChild(dataDir);
    const kafka = new Kafka({
      clientId: "k",
      brokers: [`127.0.0.1:${first.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 50 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "durable", numPartitions: 3 }] });
    await admin.disconnect();
    // Simple-consumer commits (generation -1), pipelined: each is acknowledged only once fsynced.
    const conn = await Connection.connect({ host: "127.0.0.1", port: first.port, clientId: "committer" });
    const acks: Promise<OffsetCommitResponse>[] = [];
    for (let round = 1; round <= 200; round++) {
      acks.push(
        conn.request<OffsetCommitResponse>(
          8,
          {
            groupId: "g-durable",
            generationIdOrMemberEpoch: -1,
            memberId: "",
            groupInstanceId: null,
            topics: [
              {
                name: "durable",
                partitions: [0, 1, 2].map((p) => ({
                  partitionIndex: p,
                  committedOffset: BigInt(round * 10 + p),
                  committedLeaderEpoch: -1,
                  committedMetadata: null,
                })),
              },
            ],
          },
          { apiVersion: 8 },
        ),
      );
    }
    for (const r of await Promise.all(acks)) expect(r.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0, 0]);
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    const second = await startChild(dataDir);
    const kafka2 = new Kafka({
      clientId: "k2",
      brokers: [`127.0.0.1:${second.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50 },
    });
    const admin2 = kafka2.admin();
    await admin2.connect();
    const offsets = await admin2.fetchOffsets({ groupId: "g-durable", topics: ["durable"] });
    expect(offsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, "2000"],
      [1, "2001"],
      [2, "2002"],
    ]);
    const groups = await admin2.listGroups();
    expect(groups.groups.map((g) => g.groupId)).toContain("g-durable");
    await admin2.disconnect();
    second.child.kill("SIGKILL");
  });
});
