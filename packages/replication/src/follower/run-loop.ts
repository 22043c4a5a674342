// The driver of a ReplicaFetcher: calls doWork in a loop, sleeping the delay it returns, woken early
// when a partition is added (a new follower should not wait out an idle sleep) and stopped once.
import type { ReplicaFetcher } from "./replica-fetcher.js";

export class FetcherRunLoop {
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    readonly fetcher: ReplicaFetcher,
    private readonly onUnexpected: (err: unknown) => void,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the current sleep (the fetcher has new work). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops after the round in flight (its fetch is bounded by the leader's max wait). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let delayMs: number;
      try {
        delayMs = await this.fetcher.doWork();
      } catch (err) {
        // doWork handles the leader's errors itself; this is a local failure (a log that cannot be
        // written): report it and retry after a pause rather than spin or die.
        this.onUnexpected(err);
        delayMs = 1000;
      }
      if (delayMs > 0 && !this.stopped) await this.sleep(delayMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = null;
        this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
      this.timer = setTimeout(done, ms);
    });
  }
}
