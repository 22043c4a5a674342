export * from "./primitives/index.js";
export * from "./records/batch-header.js";
export * from "./generated/index.js";
export * from "./messages/index.js";
export { type Records, recordsToBuffer } from "./primitives/codegen-helpers.js";
export * from "./records/index.js";
export * from "./compression/index.js";
export * from "./errors/index.js";
