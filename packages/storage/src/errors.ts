// Typed errors carrying the Kafka error name a broker maps to a wire error code.

export type StorageErrorCode =
  | "MESSAGE_TOO_LARGE"
  | "RECORD_LIST_TOO_LARGE"
  | "CORRUPT_MESSAGE"
  | "OFFSET_OUT_OF_RANGE"
  | "INVALID_RECORD"
  | "KAFKA_STORAGE_ERROR";

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A batch larger than `maxMessageBytes` (Kafka: RecordTooLargeException). */
export class MessageTooLargeError extends StorageError {
  constructor(message: string) {
    super("MESSAGE_TOO_LARGE", message);
  }
}

/** A batch larger than the segment size (Kafka: RecordBatchTooLargeException). */
export class RecordListTooLargeError extends StorageError {
  constructor(message: string) {
    super("RECORD_LIST_TOO_LARGE", message);
  }
}

/** Bad CRC, bad magic, truncated or malformed batch framing. */
export class CorruptRecordError extends StorageError {
  constructor(message: string) {
    super("CORRUPT_MESSAGE", message);
  }
}

/** Semantically invalid batch: empty, inconsistent counts, out-of-order offsets (follower mode). */
export class InvalidRecordError extends StorageError {
  constructor(message: string) {
    super("INVALID_RECORD", message);
  }
}

export class OffsetOutOfRangeError extends StorageError {
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  constructor(offset: number, logStartOffset: number, logEndOffset: number) {
    super("OFFSET_OUT_OF_RANGE", `offset ${offset} is out of range [${logStartOffset}, ${logEndOffset}]`);
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

/** The log was closed (or failed on an I/O error and went offline). */
export class LogClosedError extends StorageError {
  constructor(message = "log is closed") {
    super("KAFKA_STORAGE_ERROR", message);
  }
}

/** An append to a log dir taken offline by an earlier write failure (Kafka's offline log dir, KIP-112). */
export class LogDirOfflineError extends StorageError {
  constructor(dir: string, cause: unknown) {
    super("KAFKA_STORAGE_ERROR", `log dir ${dir} is offline after a failed write (${String(cause)}); restart to retry`);
  }
}

/** An operation on a log a failed write took offline (appends refused, reads still served). */
export class LogOfflineError extends LogClosedError {}

/**
 * Refusals a full or failed disk causes on every append while it lasts (below the free-space
 * floor, log or dir offline): the cause was logged once when it began, so callers need not log
 * each refusal again.
 */
export function isReportedStorageError(e: unknown): boolean {
  return e instanceof LogOfflineError || e instanceof LogDirOfflineError || e instanceof DiskSpaceError;
}

/** An append refused because its log dir is below its free-space floor (gregor.storage.min.free.bytes). */
export class DiskSpaceError extends StorageError {
  constructor(message: string) {
    super("KAFKA_STORAGE_ERROR", message);
  }
}
