// MetadataPublisher: tells subscribers every time this node's MetadataImage changes (Kafka's
// MetadataLoader -> MetadataPublisher fan-out, e.g. BrokerMetadataPublisher). A subscriber gets the
// new image and what changed; one that throws is logged and the others still run.
import type { Logger } from "pino";
import { EMPTY_IMAGE, type MetadataImage, type MetadataRecord } from "../controller/index.js";

export interface ImageChange {
  /** The image before the change. */
  readonly previous: MetadataImage;
  /** The records replayed, in log order (empty when the image was replaced by a snapshot). */
  readonly records: readonly MetadataRecord[];
  /** The log offset (raft index) of the last entry applied. */
  readonly offset: number;
  /** True when the image was loaded from a snapshot instead of replayed record by record. */
  readonly fromSnapshot: boolean;
}

export type MetadataListener = (image: MetadataImage, change: ImageChange) => void;

export class MetadataPublisher {
  private readonly listeners = new Set<MetadataListener>();
  private current: MetadataImage = EMPTY_IMAGE;

  constructor(private readonly logger: Logger) {}

  get image(): MetadataImage {
    return this.current;
  }

  /** Subscribes; returns the unsubscribe function. The listener first sees the next change. */
  subscribe(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(image: MetadataImage, change: ImageChange): void {
    this.current = image;
    for (const listener of this.listeners) {
      try {
        listener(image, change);
      } catch (err) {
        this.logger.error({ err, offset: change.offset }, "metadata listener failed");
      }
    }
  }
}
