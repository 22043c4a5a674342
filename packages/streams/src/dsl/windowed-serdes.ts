// Windowed key serdes in Kafka's byte layouts: time windows append the 8-byte window start to the
// key bytes (TimeWindowedSerializer); session windows append the end, then the start
// (SessionWindowedSerializer). Both big-endian.
import type { Serde } from "../serdes.js";
import type { Windowed } from "../windows.js";

/** Kafka's time-windowed key layout: the inner key's bytes, then the 8-byte window start. */
export function windowedSerde<K>(inner: Serde<K>, windowSizeMs?: number): Serde<Windowed<K>> {
  return {
    serialize(topic, data) {
      if (data === null) return null;
      const key = inner.serialize(topic, data.key) ?? Buffer.alloc(0);
      const out = Buffer.allocUnsafe(key.length + 8);
      key.copy(out, 0);
      out.writeBigInt64BE(BigInt(data.window.start), key.length);
      return out;
    },
    deserialize(topic, data) {
      if (data === null) return null;
      const start = Number(data.readBigInt64BE(data.length - 8));
      const key = inner.deserialize(topic, data.subarray(0, data.length - 8)) as K;
      return {
        key,
        window: { start, end: windowSizeMs === undefined ? Number.MAX_SAFE_INTEGER : start + windowSizeMs },
      };
    },
  };
}

export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    serialize(topic, data) {
      if (data === null) return null;
      const key = inner.serialize(topic, data.key) ?? Buffer.alloc(0);
      const out = Buffer.allocUnsafe(key.length + 16);
      key.copy(out, 0);
      out.writeBigInt64BE(BigInt(data.window.end), key.length);
      out.writeBigInt64BE(BigInt(data.window.start), key.length + 8);
      return out;
    },
    deserialize(topic, data) {
      if (data === null) return null;
      const end = Number(data.readBigInt64BE(data.length - 16));
      const start = Number(data.readBigInt64BE(data.length - 8));
      return { key: inner.deserialize(topic, data.subarray(0, data.length - 16)) as K, window: { start, end } };
    },
  };
}
