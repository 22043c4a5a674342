export interface UntilOptions {
  /**
   * What is awaited, for the timeout message ("a leader", "all 500 records consumed"); a function
   * is called at the timeout, so the message can say how far it got ("312 of 500 records").
   */
  what: string | (() => string);
  /** Default 10 s: well under vitest's 60 s test timeout, so the message names the wait that failed. */
  timeoutMs?: number;
  /** Default 10 ms. */
  intervalMs?: number;
}

/** Pending until `check` returns something other than undefined, null or false. */
export type Pending = undefined | null | false;

/**
 * Polls `check` (sync or async) until it returns a value other than undefined, null or false,
 * and returns that value. Past `timeoutMs` it throws `timed out after N ms waiting for <what>`,
 * so a test fails with the name of what never happened instead of hanging into the test timeout.
 * An error thrown by `check` propagates at once.
 */
export async function until<T>(
  check: () => T | Pending | Promise<T | Pending>,
  options: UntilOptions,
): Promise<Exclude<T, Pending>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, Pending>;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe(options.what)}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Awaits `promise`, but for at most `timeoutMs` (default 10 s): past it, rejects with
 * `timed out after N ms waiting for <what>`. For a promise that would otherwise hang a test until
 * vitest's 60 s timeout (a socket event, a reply that never comes). The timer is cleared either way.
 */
export async function within<T>(promise: Promise<T>, options: Omit<UntilOptions, "intervalMs">): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describe(options.what)}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(what: string | (() => string)): string {
  return typeof what === "string" ? what : what();
}
