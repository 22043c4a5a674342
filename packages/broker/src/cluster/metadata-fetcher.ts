// A broker-only node's copy of the metadata log (a KRaft observer, KIP-595): it fetches the
// committed entries of `__cluster_metadata-0` from the active controller through the
// ControllerChannel (long-polled Fetch), replays them into its own MetadataImage and publishes
// each change; when it is too far behind, it loads the controller's image with FetchSnapshot.
import {
  decodeRecordBatch as decodeKafkaBatch,
  ErrorCode,
  type FetchResponse,
  type FetchSnapshotResponse,
} from "@gregor/protocol";
import type { Logger } from "pino";
import {
  applyBatch,
  decodeRecordBatch,
  EMPTY_IMAGE,
  imageFromSnapshot,
  type MetadataImage,
  type MetadataRecord,
} from "../controller/index.js";
import { type ControllerChannel, METADATA_TOPIC } from "./controller-channel.js";
import type { MetadataPublisher } from "./metadata-publisher.js";

const FETCH = 1;
const FETCH_SNAPSHOT = 59;
const MAX_WAIT_MS = 500;
const MAX_BYTES = 8 << 20;

export interface MetadataFetcherOptions {
  brokerId: number;
  channel: ControllerChannel;
  publisher: MetadataPublisher;
  logger: Logger;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function partitionNotLeader(res: FetchResponse): boolean {
  const code = res.responses[0]?.partitions[0]?.errorCode;
  return code === ErrorCode.NOT_LEADER_OR_FOLLOWER || res.errorCode === ErrorCode.NOT_CONTROLLER;
}

export class MetadataFetcher {
  private image: MetadataImage = EMPTY_IMAGE;
  private closed = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: MetadataFetcherOptions) {}

  /** The offset (raft index) of the last entry this node replayed; 0 before any. */
  get offset(): number {
    return Math.max(0, this.image.offset);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoffMs = 50;
    while (!this.closed) {
      try {
        await this.fetchOnce();
        backoffMs = 50;
      } catch (err) {
        if (this.closed) return;
        this.options.logger.debug({ err }, "metadata fetch failed; retrying");
        await sleep(backoffMs);
        backoffMs = Math.min(1000, backoffMs * 2);
      }
    }
  }

  private async fetchOnce(): Promise<void> {
    const res = await this.options.channel.send<FetchResponse>(
      FETCH,
      {
        replicaId: this.options.brokerId,
        maxWaitMs: MAX_WAIT_MS,
        minBytes: 1,
        maxBytes: MAX_BYTES,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: METADATA_TOPIC,
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                // The next offset wanted: index offset+1 is Kafka offset `offset`.
                fetchOffset: BigInt(this.offset),
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: MAX_BYTES,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      },
      { isNotController: partitionNotLeader },
    );
    const partition = res.responses[0]?.partitions[0];
    if (partition === undefined || partition.errorCode !== ErrorCode.NONE) {
      throw new Error(`metadata fetch error ${partition?.errorCode ?? "(no partition)"}`);
    }
    if (partition.snapshotId !== undefined) {
      await this.loadSnapshot();
      return;
    }
    this.replay(partition.records);
  }

  private replay(records: FetchResponse["responses"][number]["partitions"][number]["records"]): void {
    const buf = records === null ? null : Buffer.isBuffer(records) ? records : Buffer.concat([...records]);
    if (buf === null || buf.length === 0) return;
    const previous = this.image;
    let image = previous;
    const replayed: MetadataRecord[] = [];
    let pos = 0;
    while (pos + 12 <= buf.length) {
      const batch = decodeKafkaBatch(buf, pos);
      pos += 12 + batch.batchLength;
      const index = Number(batch.baseOffset) + 1;
      const value = batch.records[0]?.value;
      if (index <= image.offset || value === null || value === undefined) continue;
      const metadata = decodeRecordBatch(value);
      image = applyBatch(image, metadata, index);
      for (const r of metadata) replayed.push(r);
    }
    if (image === previous) return;
    this.image = image;
    this.options.publisher.publish(image, { previous, records: replayed, offset: image.offset, fromSnapshot: false });
  }

  private async loadSnapshot(): Promise<void> {
    const res = await this.options.channel.send<FetchSnapshotResponse>(
      FETCH_SNAPSHOT,
      {
        replicaId: this.options.brokerId,
        maxBytes: 0x7fffffff,
        topics: [
          {
            name: METADATA_TOPIC,
            partitions: [
              { partition: 0, currentLeaderEpoch: -1, snapshotId: { endOffset: -1n, epoch: -1 }, position: 0n },
            ],
          },
        ],
      },
      { isNotController: (r) => r.topics[0]?.partitions[0]?.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER },
    );
    const p = res.topics[0]?.partitions[0];
    if (p === undefined || p.errorCode !== ErrorCode.NONE) throw new Error(`metadata snapshot error ${p?.errorCode}`);
    const bytes = Buffer.isBuffer(p.unalignedRecords)
      ? p.unalignedRecords
      : Buffer.concat([...((p.unalignedRecords as readonly Buffer[] | null) ?? [])]);
    const previous = this.image;
    this.image = imageFromSnapshot(decodeRecordBatch(bytes), Number(p.snapshotId.endOffset));
    this.options.publisher.publish(this.image, {
      previous,
      records: [],
      offset: this.image.offset,
      fromSnapshot: true,
    });
  }
}
