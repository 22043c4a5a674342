// DescribeLogDirs (key 35), v0-4: each log dir of this broker with its partitions and their sizes
// (kafka-log-dirs.sh --describe). A dir taken offline by a failed write answers
// KAFKA_STORAGE_ERROR, as in Kafka (KIP-112), though Gregor still serves reads from it (issue 13);
// v4 adds the filesystem's total and usable bytes (KIP-827).
import {
  ApiKey,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  type DescribeLogDirsResponseDescribeLogDirsResult,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import { LOG_DIRS_MODULE, type LogDirPartition, type LogDirs } from "../server/log-dirs.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

/** The requested partitions (null: all) of one dir, grouped by topic. */
function topicsOf(
  partitions: LogDirPartition[],
  req: DescribeLogDirsRequest,
): DescribeLogDirsResponseDescribeLogDirsResult["topics"] {
  const wanted = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)] as const));
  const byTopic = new Map<string, LogDirPartition[]>();
  for (const p of partitions) {
    if (wanted !== null && wanted.get(p.topic)?.has(p.partition) !== true) continue;
    const list = byTopic.get(p.topic) ?? [];
    list.push(p);
    byTopic.set(p.topic, list);
  }
  return [...byTopic].map(([name, list]) => ({
    name,
    partitions: list
      .sort((a, b) => a.partition - b.partition)
      .map((p) => ({
        partitionIndex: p.partition,
        partitionSize: BigInt(p.sizeBytes),
        offsetLag: 0n,
        isFutureKey: false,
      })),
  }));
}

export const describeLogDirsHandler: Handler<DescribeLogDirsRequest, DescribeLogDirsResponse, BrokerServices> = {
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const s = ctx.services;
    if (!s.hasModule(LOG_DIRS_MODULE)) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [] };
    const dirs = s.module<LogDirs>(LOG_DIRS_MODULE);
    const results: DescribeLogDirsResponseDescribeLogDirsResult[] = [];
    for (const state of dirs.states()) {
      const { totalBytes, usableBytes } = await dirs.capacity(state.dir);
      const offline = state.offlineError !== null;
      results.push({
        errorCode: offline ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE,
        logDir: state.dir,
        topics: offline ? [] : topicsOf(dirs.partitions(state.dir), req),
        totalBytes: BigInt(totalBytes),
        usableBytes: BigInt(usableBytes),
      });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
};
