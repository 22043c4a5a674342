export { Reader, type TaggedField } from "./reader.js";
export { Writer, ZERO_COPY_THRESHOLD } from "./writer.js";
export { ProtocolDecodeError, ProtocolEncodeError } from "./errors.js";
