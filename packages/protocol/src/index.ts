export * from "./primitives/index.js";
export * from "./records/batch-header.js";
