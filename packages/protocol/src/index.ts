export * from "./records/batch-header.js";
