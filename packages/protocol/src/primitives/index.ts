export { Reader, type TaggedField } from "./reader.js";
export { Writer } from "./writer.js";
export { ProtocolDecodeError, ProtocolEncodeError } from "./errors.js";
