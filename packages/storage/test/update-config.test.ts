import { afterEach, describe, expect, it } from "vitest";
import type { Log } from "../src/index.js";
import { makeBatch, makeSizedBatch } from "./batches.js";
import { memoryLogger, openTempLog } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function openLog(options: Parameters<typeof Log.open>[1] = {}): Promise<Log> {
  return (await openTempLog(cleanups, options)).log;
}

describe("Log.updateConfig", () => {
  it("segment.bytes applies to the next append's roll decision", async () => {
    const log = await openLog();
    for (let i = 0; i < 4; i++) await log.append(makeSizedBatch(1, 200));
    expect(log.segmentCount).toBe(1);
    log.updateConfig({ segmentBytes: 500 });
    expect(log.config.segmentBytes).toBe(500);
    for (let i = 0; i < 4; i++) await log.append(makeSizedBatch(1, 200));
    expect(log.segmentCount).toBeGreaterThan(2);
  });

  it("max.message.bytes applies to the next append", async () => {
    const log = await openLog();
    await log.append(makeSizedBatch(1, 300));
    log.updateConfig({ maxMessageBytes: 100 });
    await expect(log.append(makeSizedBatch(1, 300))).rejects.toMatchObject({ code: "MESSAGE_TOO_LARGE" });
    log.updateConfig({ maxMessageBytes: 1000 });
    expect((await log.append(makeSizedBatch(1, 300))).baseOffset).toBe(1);
  });

  it("retention.ms and cleanup.policy apply to the next retention pass", async () => {
    const log = await openLog({ segmentBytes: 300 });
    for (let i = 0; i < 6; i++) await log.append(makeSizedBatch(1, 120, { baseTimestamp: 1000 + i }));
    expect(await log.applyRetention(10_000_000)).toBe(0); // 7 days default
    log.updateConfig({ retentionMs: 1000, cleanupPolicy: "compact" });
    expect(await log.applyRetention(10_000_000)).toBe(0); // compact only: no time retention
    log.updateConfig({ cleanupPolicy: "delete,compact" as never });
    expect(log.config.cleanupPolicy).toBe("compact,delete");
    expect(await log.applyRetention(10_000_000)).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeGreaterThan(0);
  });

  it("flush.messages lowered to 1 flushes what is unflushed", async () => {
    const log = await openLog();
    for (let i = 0; i < 3; i++) await log.append(makeBatch([{ value: "x" }]));
    expect(log.recoveryPoint).toBe(0);
    log.updateConfig({ flushMessages: 1 });
    await log.truncateTo(100); // a no-op queued behind the policy check: a barrier that does not flush
    expect(log.recoveryPoint).toBe(3);
    await log.append(makeBatch([{ value: "y" }]));
    expect(log.recoveryPoint).toBe(4);
  });

  it("message.timestamp.type switches to LogAppendTime", async () => {
    const log = await openLog({ clock: () => 42_000 });
    expect((await log.append(makeBatch([{ value: "a" }]))).logAppendTimeMs).toBe(-1);
    log.updateConfig({ messageTimestampType: "LogAppendTime" });
    expect((await log.append(makeBatch([{ value: "b" }]))).logAppendTimeMs).toBe(42_000);
  });

  it("rejects an invalid value and keeps the previous config", async () => {
    const logger = memoryLogger();
    const log = await openLog({ logger });
    expect(() => log.updateConfig({ retentionMs: -5 })).toThrow(RangeError);
    expect(() => log.updateConfig({ cleanupPolicy: "keep" as never })).toThrow(RangeError);
    expect(() => log.updateConfig({ minCleanableDirtyRatio: 2 })).toThrow(RangeError);
    expect(log.config.retentionMs).toBe(7 * 24 * 60 * 60 * 1000);
    expect(log.config.cleanupPolicy).toBe("delete");
    log.updateConfig({ deleteRetentionMs: 5, minCompactionLagMs: 7 });
    expect([log.config.deleteRetentionMs, log.config.minCompactionLagMs]).toEqual([5, 7]);
    expect(logger.lines.some((l) => l.msg === "log config updated")).toBe(true);
  });

  it("shrinking the tail cache keeps reads correct", async () => {
    const log = await openLog({ tailCacheBytes: 1 << 20 });
    for (let i = 0; i < 10; i++) await log.append(makeSizedBatch(1, 200));
    log.updateConfig({ tailCacheBytes: 300 });
    const r = await log.read(0, 1 << 20);
    expect(r.firstOffset).toBe(0);
    expect(r.bytes).toBeGreaterThan(1000);
  });
});
