// Output sinks, injectable so commands are testable without spawning.
export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal: progress may redraw one line instead of printing lines. */
  errIsTty?: boolean;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  errIsTty: process.stderr.isTTY === true,
};
