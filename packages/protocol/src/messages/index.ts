export * from "./api-table.js";
export * from "./frame.js";
