// The runtime's RecordCollector: records from sinks and changelogs are buffered per topic while a
// batch of input is processed, then handed to the producer as one send per topic (no promise per
// record). flush() waits for every send to be acknowledged, which a commit needs first.
import type { Producer, ProducerRecord } from "@gregor/client";
import type { RecordCollector } from "./task.js";

/** Records buffered before a send is forced (bounds memory for a record that fans out hugely). */
const MAX_BUFFERED_RECORDS = 10_000;

export class ProducerCollector implements RecordCollector {
  private buffered = new Map<string, ProducerRecord[]>();
  private count = 0;
  private inFlight: Promise<unknown>[] = [];
  private failure: Error | null = null;
  sent = 0;

  constructor(private readonly producer: Producer) {}

  send(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    partition: number | undefined,
    headers: Readonly<Record<string, Buffer | string>> | undefined,
  ): void {
    let list = this.buffered.get(topic);
    if (list === undefined) {
      list = [];
      this.buffered.set(topic, list);
    }
    list.push({ key, value, timestamp, ...(partition === undefined ? {} : { partition }), headers });
    if (++this.count >= MAX_BUFFERED_RECORDS) this.sendBuffered();
  }

  /** Hands the buffered records to the producer (one send per topic). */
  sendBuffered(): void {
    if (this.count === 0) return;
    for (const [topic, records] of this.buffered) {
      this.sent += records.length;
      this.inFlight.push(
        this.producer.send(topic, records).catch((e: Error) => {
          this.failure ??= new Error(`sending to ${topic} failed: ${e.message}`, { cause: e });
        }),
      );
    }
    this.buffered = new Map();
    this.count = 0;
  }

  /** Sends what is buffered and waits for every send so far; throws the first failure. */
  async flush(): Promise<void> {
    this.sendBuffered();
    const inFlight = this.inFlight;
    this.inFlight = [];
    await Promise.all(inFlight);
    if (this.failure) throw this.failure;
  }

  /** The first send failure, if any (the stream thread stops on it). */
  get error(): Error | null {
    return this.failure;
  }
}
