import { ProtocolDecodeError } from "../primitives/errors.js";

/**
 * A record batch whose bytes do not hold together: wrong magic, CRC mismatch, lengths that
 * disagree, records running past the batch. Kafka's CorruptRecordException (CORRUPT_MESSAGE).
 * A subclass of ProtocolDecodeError, so one catch handles every bad-bytes case.
 */
export class CorruptRecordError extends ProtocolDecodeError {
  constructor(message: string, field: string, offset: number) {
    super(message, field, offset);
    Object.defineProperty(this, "name", { value: "CorruptRecordError" });
  }
}
