/** Thrown when bytes from the network do not decode: names the field and the byte offset. */
export class ProtocolDecodeError extends Error {
  override readonly name: string = "ProtocolDecodeError";
  constructor(
    message: string,
    readonly field: string,
    readonly offset: number,
  ) {
    super(`${message} (field ${field} at byte ${offset})`);
  }
}

/** Thrown when a value cannot be encoded for the requested version (a programmer or caller error). */
export class ProtocolEncodeError extends Error {
  override readonly name = "ProtocolEncodeError";
}
