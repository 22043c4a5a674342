// Serdes: how keys and values become bytes on topics and in changelogs, and back. A Serde's type
// parameter is what the DSL infers through; user serdes (Avro, Protobuf, ...) implement the same
// two functions. `null` passes through every serde untouched: it is Kafka's tombstone.

export interface Serde<T> {
  serialize(topic: string, data: T | null): Buffer | null;
  deserialize(topic: string, data: Buffer | null): T | null;
}

/** A serde from two plain functions (the user-supplied case). */
export function serdeFrom<T>(serialize: (data: T) => Buffer, deserialize: (data: Buffer) => T): Serde<T> {
  return {
    serialize: (_topic, data) => (data === null || data === undefined ? null : serialize(data)),
    deserialize: (_topic, data) => (data === null ? null : deserialize(data)),
  };
}

/** Thrown when bytes do not decode with the serde configured for them (names topic and serde). */
export class SerdeError extends Error {
  override readonly name = "SerdeError";
}

function fixedWidth(width: number, what: string): (data: Buffer) => void {
  return (data) => {
    if (data.length !== width) throw new SerdeError(`${what} needs exactly ${width} bytes, got ${data.length}`);
  };
}

const int32Check = fixedWidth(4, "Int32 serde");
const int64Check = fixedWidth(8, "Int64/Double serde");

/** Kafka's built-in serdes: the byte layouts match the Java ones (big-endian numbers, UTF-8 strings). */
export const Serdes = {
  string(): Serde<string> {
    return serdeFrom(
      (s) => Buffer.from(s, "utf8"),
      (b) => b.toString("utf8"),
    );
  },
  /** JSON text (UTF-8); any JSON-safe value. */
  json<T = unknown>(): Serde<T> {
    return serdeFrom(
      (v) => Buffer.from(JSON.stringify(v), "utf8"),
      (b) => {
        try {
          return JSON.parse(b.toString("utf8")) as T;
        } catch (e) {
          throw new SerdeError(`JSON serde: ${(e as Error).message}`);
        }
      },
    );
  },
  bytes(): Serde<Buffer> {
    return serdeFrom(
      (b) => b,
      (b) => b,
    );
  },
  /** Java's IntegerSerde: 4 bytes, big-endian, signed. */
  int32(): Serde<number> {
    return serdeFrom(
      (n) => {
        const b = Buffer.allocUnsafe(4);
        b.writeInt32BE(n);
        return b;
      },
      (b) => {
        int32Check(b);
        return b.readInt32BE();
      },
    );
  },
  /** Java's LongSerde: 8 bytes, big-endian, signed. Numbers must be safe integers. */
  int64(): Serde<number> {
    return serdeFrom(
      (n) => {
        const b = Buffer.allocUnsafe(8);
        b.writeBigInt64BE(BigInt(n));
        return b;
      },
      (b) => {
        int64Check(b);
        return Number(b.readBigInt64BE());
      },
    );
  },
  /** Java's DoubleSerde: 8 bytes IEEE 754, big-endian. */
  double(): Serde<number> {
    return serdeFrom(
      (n) => {
        const b = Buffer.allocUnsafe(8);
        b.writeDoubleBE(n);
        return b;
      },
      (b) => {
        int64Check(b);
        return b.readDoubleBE();
      },
    );
  },
} as const;
