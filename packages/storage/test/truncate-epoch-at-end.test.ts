// A replica that led at an epoch without appending, then follows, keeps no entry for that epoch
// once truncated at its log end (Kafka's UnifiedLog.truncateTo does this): else it would send that
// epoch as lastFetchedEpoch forever and never converge with the new leader (KIP-101/595).
import { afterEach, describe, expect, it } from "vitest";
import { makeBatch } from "./batches.js";
import { openTempLog } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("truncateTo at the log end", () => {
  it("drops an epoch that starts at the log end and keeps the rest", async () => {
    const { log } = await openTempLog(cleanups, {});
    await log.append(makeBatch([{ value: "a" }, { value: "b" }]), { leaderEpoch: 1 });
    await log.assignEpochStartOffset(4, log.logEndOffset);
    expect(log.leaderEpochCache.latestEpoch).toBe(4);
    await log.truncateTo(log.logEndOffset);
    expect(log.leaderEpochCache.latestEpoch).toBe(1);
    expect(log.logEndOffset).toBe(2);
  });
});
