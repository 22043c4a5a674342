// The raft state machine of the metadata quorum: each committed entry is one batch of metadata
// records, replayed into the QuorumController with the entry's raft index as its offset (so a
// broker's epoch is the index of its registration entry, KIP-631). Snapshots are the image written
// back as records (KIP-630's snapshot = the records that rebuild the image).
import type { Entry, SnapshotMeta, StateMachine } from "@gregor/raft";
import type { Logger } from "pino";
import type { MetadataPublisher } from "../../cluster/metadata-publisher.js";
import {
  decodeRecordBatch,
  encodeRecordBatch,
  imageFromSnapshot,
  imageToRecords,
  type MetadataRecord,
  type QuorumController,
} from "../index.js";
import { RecentEntries } from "./recent-entries.js";

export class MetadataStateMachine implements StateMachine {
  controller: QuorumController;
  /** Raft index of the last entry applied (the node's metadata offset). */
  appliedOffset = 0;
  /** Recent committed entries, served to broker-only nodes (metadata-fetch.ts). */
  readonly recent = new RecentEntries();

  constructor(
    private readonly newController: () => QuorumController,
    private readonly publisher: MetadataPublisher,
    private readonly logger: Logger,
  ) {
    this.controller = newController();
  }

  apply(entries: Entry[]): void {
    const previous = this.controller.image;
    const records: MetadataRecord[] = [];
    for (const entry of entries) {
      let batch: MetadataRecord[];
      try {
        batch = decodeRecordBatch(entry.data);
      } catch (err) {
        // Every node skips the same committed entry, so images stay equal; it is a bug to find.
        this.logger.error({ err, offset: entry.index }, "undecodable metadata log entry skipped");
        this.appliedOffset = entry.index;
        continue;
      }
      this.controller.replay(batch, entry.index);
      this.recent.push(entry.index, entry.data);
      this.appliedOffset = entry.index;
      for (const r of batch) records.push(r);
    }
    this.publisher.publish(this.controller.image, {
      previous,
      records,
      offset: this.appliedOffset,
      fromSnapshot: false,
    });
  }

  snapshot(): Uint8Array {
    return encodeRecordBatch(imageToRecords(this.controller.image));
  }

  restore(data: Uint8Array, meta: SnapshotMeta): void {
    const previous = this.controller.image;
    const controller = this.newController();
    controller.loadImage(imageFromSnapshot(decodeRecordBatch(data), meta.index));
    this.controller = controller;
    this.appliedOffset = meta.index;
    this.recent.clear();
    this.publisher.publish(controller.image, { previous, records: [], offset: meta.index, fromSnapshot: true });
  }
}
