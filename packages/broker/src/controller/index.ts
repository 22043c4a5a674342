// The KRaft controller core: metadata records, the MetadataImage, and the pure QuorumController.
export * from "./records.js";
export * from "./image.js";
export * from "./requests.js";
export { MetadataDelta, applyBatch, mergePartitionChange } from "./delta.js";
export { imageToRecords, imageFromSnapshot } from "./snapshot.js";
export { placeReplicas, type PlacementRequest, type UsableBroker } from "./placement.js";
export {
  QuorumController,
  DEFAULT_BROKER_SESSION_TIMEOUT_MS,
  METADATA_VERSION,
  PRODUCER_ID_BLOCK_SIZE,
  type QuorumControllerOptions,
} from "./quorum-controller.js";
