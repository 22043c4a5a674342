// Typed client errors. A broker error carries Kafka's error name and code and whether a retry may
// succeed; connection-level failures are retriable; bad options and misuse are not. Names and
// retriable flags come from the one error table in @gregor/protocol.
import { errorByCode, isRetriable } from "@gregor/protocol";

export function errorName(code: number): string {
  return errorByCode(code)?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
}

export function isRetriableCode(code: number): boolean {
  return isRetriable(code);
}

/** Base of every error the client throws. */
export class GregorClientError extends Error {
  override name = "GregorClientError";
  constructor(
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An error code the broker returned. `type` is Kafka's name, e.g. "NOT_LEADER_OR_FOLLOWER". */
export class KafkaProtocolError extends GregorClientError {
  override name = "KafkaProtocolError";
  readonly type: string;
  constructor(
    readonly code: number,
    detail?: string | null,
  ) {
    const type = errorName(code);
    super(`${type}: ${detail || (errorByCode(code)?.message ?? "unknown error")}`, isRetriableCode(code));
    this.type = type;
  }
}

/** The socket failed, closed, or a request timed out; the request may be retried. */
export class KafkaConnectionError extends GregorClientError {
  override name = "KafkaConnectionError";
  constructor(
    message: string,
    readonly broker: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${broker})`, true, options);
  }
}

export class KafkaTimeoutError extends GregorClientError {
  override name = "KafkaTimeoutError";
  constructor(message: string) {
    super(message, true);
  }
}

/** Options failed validation; the message names each bad option and what is allowed. */
export class InvalidOptionsError extends GregorClientError {
  override name = "InvalidOptionsError";
}

/** Throws a KafkaProtocolError unless the code is NONE. */
export function throwIfError(code: number, detail?: string | null): void {
  if (code !== 0) throw new KafkaProtocolError(code, detail);
}

/** Codes after which the metadata cache must be refreshed before retrying. */
export function isStaleMetadataCode(code: number): boolean {
  return code === 3 || code === 5 || code === 6 || code === 74 || code === 75 || code === 100 || code === 103;
}

/** A response that does not decode at the version it was requested with. */
export class ResponseDecodeError extends GregorClientError {
  override name = "ResponseDecodeError";
  constructor(
    message: string,
    readonly apiKey: number,
    options?: { cause?: unknown },
  ) {
    super(message, false, options);
  }
}
