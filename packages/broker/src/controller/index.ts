// The KRaft controller core: metadata records, the MetadataImage, and the pure QuorumController.
export * from "./records.js";
export * from "./image.js";
export * from "./requests.js";
export { QuorumController, type QuorumControllerOptions } from "./quorum-controller.js";
