// Output sinks, injectable so commands are testable without spawning.
export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** stderr when it is a terminal: progress draws a live bar there instead of printing lines. */
  errTty?: NodeJS.WriteStream;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  ...(process.stderr.isTTY ? { errTty: process.stderr } : {}),
};
