// /metrics on the admin HTTP port: broker basics and consumer-group lag from committed offsets.
import { Connection } from "@gregor/client";
import type { OffsetCommitResponse } from "@gregor/protocol";
import { tempDir } from "@gregor/testkit";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { startBroker } from "../src/index.js";
import { ADMIN_HTTP_MODULE, type AdminHttp } from "../src/metrics/admin-server.js";
import { escapeLabel } from "../src/metrics/render.js";

describe("admin HTTP /metrics", () => {
  it("shows request counters, latency histograms and consumer lag per group/topic/partition", async () => {
    const dataDir = tempDir("gregor-group-metrics-");
    const broker = await startBroker({
      dataDir,
      port: 0,
      config: { "gregor.admin.port": 0, "group.initial.rebalance.delay.ms": 0 },
    });
    try {
      const admin = broker.services.module<AdminHttp>(ADMIN_HTTP_MODULE);
      expect(admin.port).toBeGreaterThan(0);
      const kafka = new Kafka({ clientId: "m", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const ka = kafka.admin();
      await ka.connect();
      await ka.createTopics({ topics: [{ topic: "lagged", numPartitions: 2 }] });
      const p = kafka.producer();
      await p.connect();
      await p.send({
        topic: "lagged",
        messages: Array.from({ length: 100 }, (_, i) => ({ partition: i % 2, value: String(i) })),
      });
      await p.disconnect();
      await ka.disconnect();
      const conn = await Connection.connect({ host: "127.0.0.1", port: broker.port });
      const commit = await conn.request<OffsetCommitResponse>(
        8,
        {
          groupId: 'we"ird\\group',
          generationIdOrMemberEpoch: -1,
          memberId: "",
          topics: [
            {
              name: "lagged",
              partitions: [
                { partitionIndex: 0, committedOffset: 40n, committedMetadata: null },
                { partitionIndex: 1, committedOffset: 50n, committedMetadata: null },
              ],
            },
          ],
        },
        { apiVersion: 2 },
      );
      expect(commit.topics[0]!.partitions.map((x) => x.errorCode)).toEqual([0, 0]);
      conn.close();

      const res = await fetch(`http://127.0.0.1:${admin.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const text = await res.text();
      const g = escapeLabel('we"ird\\group');
      expect(text).toContain(`gregor_consumer_group_lag{group="${g}",topic="lagged",partition="0"} 10`);
      expect(text).toContain(`gregor_consumer_group_lag{group="${g}",topic="lagged",partition="1"} 0`);
      expect(text).toContain(`gregor_consumer_group_committed_offset{group="${g}",topic="lagged",partition="0"} 40`);
      expect(text).toContain(`gregor_consumer_group_lag_sum{group="${g}",topic="lagged"} 10`);
      expect(text).toContain('gregor_consumer_groups{state="Empty"} 1');
      expect(text).toMatch(/gregor_requests_total\{api="Produce"\} [1-9]/);
      expect(text).toMatch(/gregor_request_latency_seconds_bucket\{api="Produce",le="\+Inf"\} [1-9]/);
      expect(text).toMatch(/gregor_request_latency_seconds_count\{api="OffsetCommit"\} [1-9]/);
      expect(text).toMatch(/gregor_bytes_in_total [1-9]/);
      expect((await fetch(`http://127.0.0.1:${admin.port}/nope`)).status).toBe(404);
      expect(await (await fetch(`http://127.0.0.1:${admin.port}/health`)).json()).toMatchObject({ status: "ok" });
    } finally {
      await broker.close();
    }
  });
});
