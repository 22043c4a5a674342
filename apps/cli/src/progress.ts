// Progress of a long command on stderr: on a terminal one line redrawn every 250 ms; otherwise a
// line every `intervalMs` (as Kafka's perf tools print), so logs and pipes stay readable.
import type { Io } from "./io.js";

export interface Progress {
  /** Stops the updates and clears the live line. */
  stop(): void;
}

export function startProgress(io: Io, intervalMs: number, render: (live: boolean) => string): Progress {
  const live = io.errIsTty === true;
  let shown = false;
  const timer = setInterval(
    () => {
      if (live) {
        io.err(`\r\x1b[K${render(true)}`);
        shown = true;
      } else io.err(`${render(false)}\n`);
    },
    live ? 250 : intervalMs,
  );
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (shown) io.err("\r\x1b[K");
    },
  };
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
