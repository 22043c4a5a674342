// Maps Kafka's --producer-property / --consumer-property names onto @gregor/client options.
import { UsageError } from "../options.js";

/** A separator given on the command line: `\t` and `\n` spelled out stand for tab and newline. */
export function unescapeSeparator(s: string): string {
  return s.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
}

function num(k: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new UsageError(`property ${k} must be an integer, got '${v}'`);
  return Number(v);
}

function bool(k: string, v: string): boolean {
  if (v !== "true" && v !== "false") throw new UsageError(`property ${k} must be true or false, got '${v}'`);
  return v === "true";
}

export function producerProps(props: Map<string, string>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of props) {
    switch (k) {
      case "acks":
        if (!["0", "1", "-1", "all"].includes(v))
          throw new UsageError(`property acks must be 0, 1, -1 or all, got '${v}'`);
        o.acks = v === "all" ? -1 : Number(v);
        break;
      case "linger.ms":
        o.lingerMs = num(k, v);
        break;
      case "batch.size":
        o.batchSize = num(k, v);
        break;
      case "compression.type":
        if (!["none", "gzip", "snappy", "lz4", "zstd"].includes(v))
          throw new UsageError(`property compression.type must be none, gzip, snappy, lz4 or zstd, got '${v}'`);
        o.compression = v;
        break;
      case "enable.idempotence":
        o.idempotent = bool(k, v);
        break;
      case "max.in.flight.requests.per.connection":
        o.maxInFlightRequestsPerConnection = num(k, v);
        break;
      case "delivery.timeout.ms":
        o.deliveryTimeoutMs = num(k, v);
        break;
      case "request.timeout.ms":
        o.requestTimeoutMs = num(k, v);
        break;
      case "buffer.memory":
        o.bufferMemory = num(k, v);
        break;
      case "max.request.size":
        o.maxRequestSize = num(k, v);
        break;
      case "client.id":
        o.clientId = v;
        break;
      case "retries":
        o.retry = { retries: num(k, v) };
        break;
      default:
        throw new UsageError(
          `unsupported producer property '${k}'. Supported: acks, linger.ms, batch.size, compression.type, enable.idempotence, max.in.flight.requests.per.connection, delivery.timeout.ms, request.timeout.ms, buffer.memory, max.request.size, client.id, retries`,
        );
    }
  }
  return o;
}

export function consumerProps(props: Map<string, string>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of props) {
    switch (k) {
      case "group.id":
        o.groupId = v;
        break;
      case "group.instance.id":
        o.groupInstanceId = v;
        break;
      case "auto.offset.reset":
        if (!["earliest", "latest", "none"].includes(v))
          throw new UsageError(`property auto.offset.reset must be earliest, latest or none, got '${v}'`);
        o.autoOffsetReset = v;
        break;
      case "enable.auto.commit":
        o.autoCommit = bool(k, v);
        break;
      case "auto.commit.interval.ms":
        o.autoCommitIntervalMs = num(k, v);
        break;
      case "isolation.level":
        if (!["read_uncommitted", "read_committed"].includes(v))
          throw new UsageError(`property isolation.level must be read_uncommitted or read_committed, got '${v}'`);
        o.isolationLevel = v;
        break;
      case "fetch.max.wait.ms":
        o.maxWaitMs = num(k, v);
        break;
      case "fetch.min.bytes":
        o.minBytes = num(k, v);
        break;
      case "fetch.max.bytes":
        o.maxBytes = num(k, v);
        break;
      case "max.partition.fetch.bytes":
        o.maxPartitionBytes = num(k, v);
        break;
      case "session.timeout.ms":
        o.sessionTimeoutMs = num(k, v);
        break;
      case "heartbeat.interval.ms":
        o.heartbeatIntervalMs = num(k, v);
        break;
      case "partition.assignment.strategy":
        o.assignors = v.split(",").map((s) => {
          const n = s.trim().replace(/^org\.apache\.kafka\.clients\.consumer\./, "");
          if (n === "range" || n === "RangeAssignor") return "range";
          if (n === "cooperative-sticky" || n === "CooperativeStickyAssignor") return "cooperative-sticky";
          throw new UsageError(
            `property partition.assignment.strategy: '${s}' is not one of range, cooperative-sticky`,
          );
        });
        break;
      case "check.crcs":
        o.checkCrcs = bool(k, v);
        break;
      case "client.id":
        o.clientId = v;
        break;
      default:
        throw new UsageError(
          `unsupported consumer property '${k}'. Supported: group.id, group.instance.id, auto.offset.reset, enable.auto.commit, auto.commit.interval.ms, isolation.level, fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes, max.partition.fetch.bytes, session.timeout.ms, heartbeat.interval.ms, partition.assignment.strategy, check.crcs, client.id`,
        );
    }
  }
  return o;
}
