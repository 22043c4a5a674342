// Leader epoch -> start offset, as Kafka's LeaderEpochFileCache (KIP-101, KIP-279). Pure: the Log
// persists it to `leader-epoch-checkpoint` whenever it changes.
import { assert } from "@gregor/protocol/util";

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  private list: EpochEntry[] = [];

  constructor(entries: readonly EpochEntry[] = []) {
    for (const e of entries) this.assign(e.epoch, e.startOffset);
  }

  entries(): readonly EpochEntry[] {
    return this.list;
  }

  get latestEpoch(): number | undefined {
    return this.list[this.list.length - 1]?.epoch;
  }

  get earliestEntry(): EpochEntry | undefined {
    return this.list[0];
  }

  /**
   * Records that `epoch` starts at `startOffset`. Entries that conflict (an epoch >= this one, or a
   * start offset >= this one) are removed first. Returns whether the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0) return false;
    const latest = this.list[this.list.length - 1];
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    this.list = this.list.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.list.push({ epoch, startOffset });
    return true;
  }

  /** Epoch of the entry covering `offset` (largest startOffset <= offset). */
  epochForOffset(offset: number): number | undefined {
    let found: number | undefined;
    for (const e of this.list) {
      if (e.startOffset > offset) break;
      found = e.epoch;
    }
    return found;
  }

  /**
   * OffsetsForLeaderEpoch: the end offset of `requestedEpoch` (the start offset of the next higher
   * epoch, or the log end offset for the latest epoch) and the largest epoch <= requested.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH) {
      return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    }
    if (requestedEpoch === this.latestEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.list.find((e) => e.epoch > requestedEpoch);
    if (higher === undefined) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    let floor: EpochEntry | undefined;
    for (const e of this.list) if (e.epoch <= requestedEpoch) floor = e;
    return floor === undefined
      ? { leaderEpoch: requestedEpoch, endOffset: higher.startOffset }
      : { leaderEpoch: floor.epoch, endOffset: higher.startOffset };
  }

  /** After truncateTo(endOffset): drops epochs starting at or after it. */
  truncateFromEnd(endOffset: number): boolean {
    const before = this.list.length;
    this.list = this.list.filter((e) => e.startOffset < endOffset);
    return this.list.length !== before;
  }

  /** After the log start moved to `startOffset`: the epoch covering it now starts there. */
  truncateFromStart(startOffset: number): boolean {
    let lastBelow = -1;
    for (let i = 0; i < this.list.length; i++) if (this.list[i]!.startOffset <= startOffset) lastBelow = i;
    if (lastBelow < 0) return false;
    const covering = this.list[lastBelow]!;
    if (lastBelow === 0 && covering.startOffset === startOffset) return false;
    this.list = [{ epoch: covering.epoch, startOffset }, ...this.list.slice(lastBelow + 1)];
    return true;
  }

  clear(): void {
    this.list = [];
  }

  /** Kafka's checkpoint text: version 0, entry count, then "epoch startOffset" lines. */
  serialize(): string {
    return `0\n${this.list.length}\n${this.list.map((e) => `${e.epoch} ${e.startOffset}\n`).join("")}`;
  }

  static parse(text: string): LeaderEpochCache {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    assertFormat(lines[0] === "0", `unsupported leader-epoch-checkpoint version ${lines[0]}`);
    const count = Number(lines[1]);
    assertFormat(Number.isInteger(count) && count === lines.length - 2, "leader-epoch-checkpoint count mismatch");
    const entries = lines.slice(2).map((line) => {
      const [epoch, start] = line.trim().split(/\s+/).map(Number);
      assertFormat(Number.isInteger(epoch) && Number.isInteger(start), `bad leader-epoch-checkpoint line "${line}"`);
      return { epoch: epoch!, startOffset: start! };
    });
    for (let i = 1; i < entries.length; i++) {
      assert(entries[i]!.epoch > entries[i - 1]!.epoch, "leader-epoch-checkpoint epochs must increase");
    }
    return new LeaderEpochCache(entries);
  }
}

function assertFormat(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}
