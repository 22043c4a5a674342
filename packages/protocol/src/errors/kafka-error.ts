import { errorInfo } from "./error-codes.js";
import { ErrorCode } from "./names.js";

/**
 * An error carrying a Kafka error code. `name` is Kafka's name for the code
 * (NOT_LEADER_OR_FOLLOWER...), so stack traces read like Kafka's; unknown codes keep their number.
 */
export class KafkaError extends Error {
  override readonly name: string;
  readonly code: number;
  readonly retriable: boolean;

  constructor(code: number, message?: string, options?: { cause?: unknown }) {
    const info = errorInfo(code);
    const known = info.code === code;
    super(message ?? (known ? info.message : `unknown error code ${code}`), options);
    this.name = known ? info.name : `UNKNOWN_ERROR_CODE_${code}`;
    this.code = code;
    this.retriable = known && info.retriable;
  }

  static is(e: unknown, code?: number): e is KafkaError {
    return e instanceof KafkaError && (code === undefined || e.code === code);
  }
}

/** Throws a KafkaError unless code is NONE (0). */
export function throwIfError(code: number, message?: string): void {
  if (code !== ErrorCode.NONE) throw new KafkaError(code, message);
}
