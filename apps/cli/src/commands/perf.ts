// gregor perf produce|consume: kafka-producer-perf-test / kafka-consumer-perf-test style load, live
// progress every few seconds, HdrHistogram latency percentiles at the end.
import { randomBytes } from "node:crypto";
import * as hdr from "hdr-histogram-js";
import { Consumer, Producer, type ProducerRecord } from "@gregor/client";
import { BOOTSTRAP, HELP, UsageError, bootstrapOf, parseArgs, usage, type FlagSpec } from "../args.js";
import type { Io } from "../io.js";
import { consumerProps, producerProps } from "./client-props.js";
import { fmtInt, startProgress } from "../progress.js";

const PRODUCE: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--topic", arg: "<topic>", desc: "REQUIRED: topic to produce to." },
  { flag: "--num-records", arg: "<n>", desc: "REQUIRED: number of records to send." },
  { flag: "--record-size", arg: "<bytes>", desc: "Size of each record (default 100)." },
  {
    flag: "--throughput",
    arg: "<rec/s>",
    desc: "Throttle to about this many records/s; -1 for no limit (default -1).",
  },
  {
    flag: "--records-per-send",
    arg: "<n>",
    desc: "Records handed to one send() call (default 1000; 1 measures per-record latency).",
  },
  {
    flag: "--producer-props",
    arg: "<k=v>",
    desc: "Producer properties (acks, linger.ms, batch.size, compression.type, ...).",
    repeatable: true,
  },
  { flag: "--producer-property", arg: "<k=v>", desc: "Same as --producer-props.", repeatable: true },
  {
    flag: "--reporting-interval",
    arg: "<ms>",
    desc: "Progress line interval when stderr is not a terminal (default 5000); on a terminal one live line is redrawn.",
  },
  HELP,
];

const CONSUME: FlagSpec[] = [
  BOOTSTRAP,
  { flag: "--topic", arg: "<topic>", desc: "REQUIRED: topic to consume from." },
  { flag: "--messages", arg: "<n>", desc: "REQUIRED: number of records to consume." },
  { flag: "--group", arg: "<group>", desc: "Consume as this group (default: assign all partitions)." },
  { flag: "--from-latest", desc: "Start at the end instead of the beginning." },
  { flag: "--consumer-property", arg: "<k=v>", desc: "Consumer properties.", repeatable: true },
  { flag: "--timeout", arg: "<ms>", desc: "Give up when no record arrives for this long (default 10000)." },
  {
    flag: "--reporting-interval",
    arg: "<ms>",
    desc: "Progress line interval when stderr is not a terminal (default 5000); on a terminal one live line is redrawn.",
  },
  HELP,
];

const PRODUCE_SUMMARY = "Producer load test: throughput and per-send latency percentiles (HdrHistogram).";
const PRODUCE_EXAMPLES = [
  "gregor perf produce --bootstrap-server localhost:9092 --topic perf --num-records 1000000 --record-size 100",
  "gregor perf produce --bootstrap-server localhost:9092 --topic perf --num-records 50000 --throughput 5000 --records-per-send 1 --producer-props acks=all",
];
const CONSUME_SUMMARY = "Consumer load test: throughput and record age at consume time.";
const CONSUME_EXAMPLES = ["gregor perf consume --bootstrap-server localhost:9092 --topic perf --messages 1000000"];

function ms(ns: number): string {
  return (ns / 1000).toFixed(2);
}

export async function perfCommand(argv: readonly string[], io: Io): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode === "produce") return produce(rest, io);
  if (mode === "consume") return consume(rest, io);
  if (mode === undefined || mode === "--help") {
    io.out(
      `Usage: gregor perf produce|consume [options]\nLoad tests (kafka-producer-perf-test.sh / kafka-consumer-perf-test.sh): progress on stderr, results on stdout.\n\n${usage("perf produce", PRODUCE_SUMMARY, PRODUCE, PRODUCE_EXAMPLES)}\n${usage("perf consume", CONSUME_SUMMARY, CONSUME, CONSUME_EXAMPLES)}`,
    );
    return mode === undefined ? 1 : 0;
  }
  throw new UsageError(`perf: unknown mode '${mode}'. Allowed: produce, consume`);
}

async function produce(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs("perf produce", PRODUCE, argv);
  if (a.has("--help")) {
    io.out(usage("perf produce", PRODUCE_SUMMARY, PRODUCE, PRODUCE_EXAMPLES));
    return 0;
  }
  const topic = a.require("--topic");
  const total = a.int("--num-records")!;
  if (total === undefined || total < 1) throw new UsageError("--num-records must be a positive integer");
  const size = a.int("--record-size", 100)!;
  const rate = a.int("--throughput", -1)!;
  const perSend = Math.max(1, a.int("--records-per-send", 1000)!);
  const interval = a.int("--reporting-interval", 5000)!;
  const props = new Map([...a.props("--producer-props"), ...a.props("--producer-property")]);
  const producer = new Producer({
    bootstrapBrokers: bootstrapOf(a),
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
  const report = startProgress(io, interval, (live) => {
    const now = performance.now();
    if (live) {
      const s = (now - start) / 1000;
      return `${fmtInt(acked)}/${fmtInt(total)} records acknowledged (${((100 * acked) / total).toFixed(1)}%), ${fmtInt(acked / s)} records/sec, ${((acked * size) / s / 1048576).toFixed(1)} MB/sec, ${ms(hist.mean)} ms avg latency, ${s.toFixed(1)} s`;
    }
    const s = (now - windowStart) / 1000;
    const line = `${windowAcked} records sent, ${(windowAcked / s).toFixed(1)} records/sec (${((windowAcked * size) / s / 1048576).toFixed(2)} MB/sec), ${ms(hist.mean)} ms avg latency, ${ms(hist.maxValue)} ms max latency.`;
    windowAcked = 0;
    windowStart = now;
    return line;
  });
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

async function consume(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs("perf consume", CONSUME, argv);
  if (a.has("--help")) {
    io.out(usage("perf consume", CONSUME_SUMMARY, CONSUME, CONSUME_EXAMPLES));
    return 0;
  }
  const topic = a.require("--topic");
  const total = a.int("--messages")!;
  if (total === undefined || total < 1) throw new UsageError("--messages must be a positive integer");
  const timeoutMs = a.int("--timeout", 10_000)!;
  const interval = a.int("--reporting-interval", 5000)!;
  const group = a.get("--group");
  const bootstrapBrokers = bootstrapOf(a);
  const consumer = new Consumer({
    bootstrapBrokers,
    clientId: "consumer-perf",
    maxPartitionBytes: 8 << 20,
    autoOffsetReset: a.has("--from-latest") ? "latest" : "earliest",
    ...(group ? { groupId: group } : {}),
    ...consumerProps(a.props("--consumer-property")),
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
  const report = startProgress(io, interval, (live) => {
    const rate = count / ((performance.now() - start) / 1000);
    return live
      ? `${fmtInt(count)}/${fmtInt(total)} records consumed (${((100 * count) / total).toFixed(1)}%), ${fmtInt(rate)} records/sec, ${((performance.now() - start) / 1000).toFixed(1)} s`
      : `${count} records consumed, ${rate.toFixed(1)} records/sec`;
  });
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
          offset: a.has("--from-latest") ? "latest" : "earliest",
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
