export { Reader, type TaggedField } from "./reader.js";
export { GrowableWriter, Writer, ZERO_COPY_THRESHOLD } from "./writer.js";
export { ProtocolDecodeError, ProtocolEncodeError } from "./errors.js";
