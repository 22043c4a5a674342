// The broker's pino logger: pretty lines when writing to a terminal, JSON otherwise.
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

export interface BrokerLoggerOptions {
  level?: string;
  /** Default: whether stdout is a TTY. */
  pretty?: boolean;
}

export function createBrokerLogger(options: BrokerLoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  if (usePretty)
    return pino(
      { level },
      pretty({ colorize: true, sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }),
    );
  return pino({ level }, pino.destination({ fd: 1, sync: false }));
}
