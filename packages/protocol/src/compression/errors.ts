import { ProtocolDecodeError } from "../primitives/errors.js";

/**
 * Compressed record data that does not decompress, or decompresses past the size bound. Kafka
 * answers such a Produce with CORRUPT_MESSAGE; a consumer treats it as a corrupt batch.
 */
export class CompressionError extends ProtocolDecodeError {
  constructor(message: string, codec: string, offset = 0) {
    super(message, `records (${codec})`, offset);
    Object.defineProperty(this, "name", { value: "CompressionError" });
  }
}
