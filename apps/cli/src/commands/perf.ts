// gregor perf produce|consume: kafka-producer-perf-test / kafka-consumer-perf-test style load, live
// progress every few seconds, HdrHistogram latency percentiles at the end.
import { randomBytes } from "node:crypto";
import * as hdr from "hdr-histogram-js";
import { Consumer, Producer, type ProducerRecord } from "@gregor/client";
import { Presets, SingleBar } from "cli-progress";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { type BootstrapOpts, type Tool, UsageError, intOption, need, pairsOption } from "../options.js";
import { consumerProps, producerProps } from "./client-props.js";

interface ProducePerfOpts extends BootstrapOpts {
  topic?: string;
  numRecords?: number;
  recordSize?: number;
  throughput?: number;
  recordsPerSend?: number;
  producerProps?: Map<string, string>;
  producerProperty?: Map<string, string>;
  reportingInterval?: number;
}

interface ConsumePerfOpts extends BootstrapOpts {
  topic?: string;
  messages?: number;
  group?: string;
  fromLatest?: boolean;
  consumerProperty?: Map<string, string>;
  timeout?: number;
  reportingInterval?: number;
}

const REPORTING_INTERVAL =
  "Progress line interval when stderr is not a terminal (default 5000); on a terminal a live bar is redrawn.";

const producePerfTool: Tool = {
  name: "produce",
  summary: "producer load test (kafka-producer-perf-test.sh)",
  description: "Producer load test: throughput and per-send latency percentiles (HdrHistogram).",
  examples: [
    "gregor perf produce --bootstrap-server localhost:9092 --topic perf --num-records 1000000 --record-size 100",
    "gregor perf produce --bootstrap-server localhost:9092 --topic perf --num-records 50000 --throughput 5000 --records-per-send 1 --producer-props acks=all",
  ],
  options: (cmd) =>
    cmd
      .option("--topic <topic>", "REQUIRED: topic to produce to.")
      .addOption(intOption("--num-records <n>", "REQUIRED: number of records to send."))
      .addOption(intOption("--record-size <bytes>", "Size of each record (default 100)."))
      .addOption(
        intOption("--throughput <rec/s>", "Throttle to about this many records/s; -1 for no limit (default -1)."),
      )
      .addOption(
        intOption(
          "--records-per-send <n>",
          "Records handed to one send() call (default 1000; 1 measures per-record latency).",
        ),
      )
      .addOption(
        pairsOption(
          "--producer-props <k=v>",
          "Producer properties (acks, linger.ms, batch.size, compression.type, ...).",
        ),
      )
      .addOption(pairsOption("--producer-property <k=v>", "Same as --producer-props."))
      .addOption(intOption("--reporting-interval <ms>", REPORTING_INTERVAL)),
  run: producePerf,
};

const consumePerfTool: Tool = {
  name: "consume",
  summary: "consumer load test (kafka-consumer-perf-test.sh)",
  description: "Consumer load test: throughput and record age at consume time.",
  examples: ["gregor perf consume --bootstrap-server localhost:9092 --topic perf --messages 1000000"],
  options: (cmd) =>
    cmd
      .option("--topic <topic>", "REQUIRED: topic to consume from.")
      .addOption(intOption("--messages <n>", "REQUIRED: number of records to consume."))
      .option("--group <group>", "Consume as this group (default: assign all partitions).")
      .option("--from-latest", "Start at the end instead of the beginning.")
      .addOption(pairsOption("--consumer-property <k=v>", "Consumer properties."))
      .addOption(intOption("--timeout <ms>", "Give up when no record arrives for this long (default 10000)."))
      .addOption(intOption("--reporting-interval <ms>", REPORTING_INTERVAL)),
  run: consumePerf,
};

export const perfTool: Tool = {
  name: "perf",
  summary: "perf produce|consume: load tests with a live progress bar and latency percentiles",
  description:
    "Load tests (kafka-producer-perf-test.sh / kafka-consumer-perf-test.sh): progress on stderr, results on stdout.",
  tools: [producePerfTool, consumePerfTool],
};

const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");

interface Progress {
  stop(): void;
}

/**
 * Progress of a load test on stderr. On a terminal a cli-progress bar redrawn in place; otherwise a
 * plain line every `intervalMs` (as Kafka's perf tools print), so logs and pipes get no terminal codes.
 */
function startProgress(
  io: Io,
  intervalMs: number,
  total: number,
  done: () => number,
  render: (live: boolean) => string,
): Progress {
  const tty = io.errTty;
  if (!tty) {
    const timer = setInterval(() => io.err(`${render(false)}\n`), intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  const bar = new SingleBar(
    { stream: tty, format: "{bar} {percentage}% | {live}", hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  bar.start(total, 0, { live: "" });
  const timer = setInterval(() => bar.update(done(), { live: render(true) }), 250);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      bar.stop();
    },
  };
}

function positive(n: number | undefined, flag: string): number {
  if (n === undefined || n < 1) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}

function ms(ns: number): string {
  return (ns / 1000).toFixed(2);
}

async function producePerf(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<ProducePerfOpts>();
  const topic = need(o.topic, "--topic <topic>");
  const total = positive(o.numRecords, "--num-records");
  const size = o.recordSize ?? 100;
  const rate = o.throughput ?? -1;
  const perSend = Math.max(1, o.recordsPerSend ?? 1000);
  const interval = o.reportingInterval ?? 5000;
  const props = new Map([...(o.producerProps ?? []), ...(o.producerProperty ?? [])]);
  const producer = new Producer({
    bootstrapBrokers: o.bootstrapServer,
    clientId: "producer-perf",
    acks: 1,
    lingerMs: 5,
    batchSize: 1_048_576,
    ...producerProps(props),
  } as ConstructorParameters<typeof Producer>[0]);
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const payload = randomBytes(size);
  const chunk: ProducerRecord[] = Array.from({ length: perSend }, () => ({ value: payload }));
  const start = performance.now();
  let sent = 0;
  let acked = 0;
  let windowAcked = 0;
  let windowStart = start;
  let failure: Error | null = null;
  const inflight = new Set<Promise<unknown>>();
  const report = startProgress(
    io,
    interval,
    total,
    () => acked,
    (live) => {
      const now = performance.now();
      if (live) {
        const s = (now - start) / 1000;
        return `${fmtInt(acked)}/${fmtInt(total)} records acknowledged, ${fmtInt(acked / s)} records/sec, ${((acked * size) / s / 1048576).toFixed(1)} MB/sec, ${ms(hist.mean)} ms avg latency, ${s.toFixed(1)} s`;
      }
      const s = (now - windowStart) / 1000;
      const line = `${windowAcked} records sent, ${(windowAcked / s).toFixed(1)} records/sec (${((windowAcked * size) / s / 1048576).toFixed(2)} MB/sec), ${ms(hist.mean)} ms avg latency, ${ms(hist.maxValue)} ms max latency.`;
      windowAcked = 0;
      windowStart = now;
      return line;
    },
  );
  try {
    while (sent < total && !failure) {
      const n = Math.min(perSend, total - sent);
      const t0 = performance.now();
      const p = producer.send(topic, n === perSend ? chunk : chunk.slice(0, n)).then(
        () => {
          const us = Math.max(1, Math.round((performance.now() - t0) * 1000));
          hist.recordValueWithCount(us, n);
          acked += n;
          windowAcked += n;
          inflight.delete(p);
        },
        (e: Error) => {
          failure ??= e;
          inflight.delete(p);
        },
      );
      inflight.add(p);
      sent += n;
      if (rate > 0) {
        const due = start + (sent / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      if (inflight.size >= 256) await Promise.race(inflight);
    }
    await Promise.allSettled([...inflight]);
    await producer.flush();
  } finally {
    report.stop();
    await producer.close().catch(() => undefined);
  }
  if (failure) throw failure;
  const secs = (performance.now() - start) / 1000;
  const p = (q: number): string => String(Math.round(hist.getValueAtPercentile(q) / 1000));
  io.out(
    `${acked} records sent, ${(acked / secs).toFixed(1)} records/sec (${((acked * size) / secs / 1048576).toFixed(2)} MB/sec), ${ms(hist.mean)} ms avg latency, ${ms(hist.maxValue)} ms max latency, ${p(50)} ms 50th, ${p(95)} ms 95th, ${p(99)} ms 99th, ${p(99.9)} ms 99.9th.\n`,
  );
  return 0;
}

async function consumePerf(cmd: Command, io: Io): Promise<number> {
  const o = cmd.opts<ConsumePerfOpts>();
  const topic = need(o.topic, "--topic <topic>");
  const total = positive(o.messages, "--messages");
  const timeoutMs = o.timeout ?? 10_000;
  const interval = o.reportingInterval ?? 5000;
  const group = o.group;
  const bootstrapBrokers = o.bootstrapServer;
  const consumer = new Consumer({
    bootstrapBrokers,
    clientId: "consumer-perf",
    maxPartitionBytes: 8 << 20,
    autoOffsetReset: o.fromLatest ? "latest" : "earliest",
    ...(group ? { groupId: group } : {}),
    ...consumerProps(o.consumerProperty ?? new Map()),
  });
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
  let count = 0;
  let bytes = 0;
  const start = performance.now();
  const startWall = Date.now();
  let timer: NodeJS.Timeout | null = null;
  const arm = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void consumer.close(), timeoutMs);
  };
  const report = startProgress(
    io,
    interval,
    total,
    () => count,
    (live) => {
      const rate = count / ((performance.now() - start) / 1000);
      return live
        ? `${fmtInt(count)}/${fmtInt(total)} records consumed, ${fmtInt(rate)} records/sec, ${((performance.now() - start) / 1000).toFixed(1)} s`
        : `${count} records consumed, ${rate.toFixed(1)} records/sec`;
    },
  );
  try {
    if (group) consumer.subscribe([topic]);
    else {
      const { Admin } = await import("@gregor/client");
      const admin = new Admin({ bootstrapBrokers });
      const [info] = await admin.describeTopics([topic]).finally(() => admin.close());
      consumer.assign(
        info!.partitions.map((p) => ({
          topic,
          partition: p.partition,
          offset: o.fromLatest ? "latest" : "earliest",
        })),
      );
    }
    arm();
    outer: for await (const b of consumer) {
      arm();
      const now = Date.now();
      for (const m of b.messages) {
        bytes += m.value?.length ?? 0;
        hist.recordValue(Math.max(1, now - m.timestamp));
        if (++count >= total) break outer;
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    report.stop();
    await consumer.close();
  }
  const secs = (performance.now() - start) / 1000;
  const mb = bytes / 1048576;
  io.out("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec\n");
  io.out(
    `${new Date(startWall).toISOString()}, ${new Date().toISOString()}, ${mb.toFixed(4)}, ${(mb / secs).toFixed(4)}, ${count}, ${(count / secs).toFixed(4)}\n`,
  );
  io.out(
    `record age at consume (ms): p50 ${hist.getValueAtPercentile(50)}, p99 ${hist.getValueAtPercentile(99)}, max ${hist.maxValue}\n`,
  );
  return count >= total ? 0 : 1;
}
