// A pino-compatible logger shape: pass a pino instance (or anything with these methods). The default
// logs nothing, so the client is silent unless the application asks.

export interface Logger {
  error(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};

export const silentLogger: Logger = { error: noop, warn: noop, info: noop, debug: noop };

export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return typeof logger.child === "function" ? logger.child(bindings) : logger;
}
