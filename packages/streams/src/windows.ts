// Window specifications (Kafka's TimeWindows, SessionWindows, JoinWindows) and the windowed key
// type. A window is [start, end): a record at `end` belongs to the next tumbling window. The grace
// period (KIP-328) is how long after a window ends out-of-order records are still accepted; after
// that the window is closed, late records are dropped, and suppress(untilWindowCloses) emits.

export interface Window {
  readonly start: number;
  readonly end: number;
}

export interface Windowed<K> {
  readonly key: K;
  readonly window: Window;
}

function checkMs(what: string, ms: number, min: number): void {
  if (!Number.isSafeInteger(ms) || ms < min)
    throw new RangeError(`${what} must be an integer number of milliseconds >= ${min}, got ${ms}`);
}

/** Tumbling (advance = size) and hopping (advance < size) windows. */
export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    checkMs("window size", sizeMs, 1);
    checkMs("grace period", graceMs, 0);
    return new TimeWindows(sizeMs, sizeMs, graceMs);
  }

  /** Hopping windows: a new window every `advanceMs` (0 < advance <= size). */
  advanceBy(advanceMs: number): TimeWindows {
    checkMs("window advance", advanceMs, 1);
    if (advanceMs > this.sizeMs)
      throw new RangeError(`window advance (${advanceMs} ms) must not exceed the window size (${this.sizeMs} ms)`);
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** Start times of every window that contains `timestamp`, oldest first. */
  windowsFor(timestamp: number): Window[] {
    const lastStart = timestamp - (((timestamp % this.advanceMs) + this.advanceMs) % this.advanceMs);
    const out: Window[] = [];
    for (let start = Math.max(0, lastStart - this.sizeMs + this.advanceMs); start <= lastStart; start += this.advanceMs)
      if (start + this.sizeMs > timestamp) out.push({ start, end: start + this.sizeMs });
    return out;
  }
}

/** Session windows: records of a key closer than the inactivity gap fall into one session. */
export class SessionWindows {
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {}

  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(gapMs, 0);
  }

  static ofInactivityGapAndGrace(gapMs: number, graceMs: number): SessionWindows {
    checkMs("inactivity gap", gapMs, 1);
    checkMs("grace period", graceMs, 0);
    return new SessionWindows(gapMs, graceMs);
  }
}

/** Stream-stream joins: records join when their timestamps differ by at most `beforeMs`/`afterMs`. */
export class JoinWindows {
  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {}

  static ofTimeDifferenceWithNoGrace(differenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(differenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(differenceMs: number, graceMs: number): JoinWindows {
    checkMs("join time difference", differenceMs, 0);
    checkMs("grace period", graceMs, 0);
    return new JoinWindows(differenceMs, differenceMs, graceMs);
  }
}
