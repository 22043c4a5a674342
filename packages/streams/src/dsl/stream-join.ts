// Stream-stream joins over a JoinWindows (Kafka's KStreamKStreamJoin): each side buffers its
// records per (key, timestamp) in a window store; a record joins the other side's records whose
// timestamps are within [ts - before, ts + after] (mirrored for the right side), and the result
// takes the larger timestamp. leftJoin follows KIP-633: a left record without a match is emitted
// with null only once its window has closed (stream time past ts + after + grace), never early.
import type { ProcessorContext, ProcessorSupplier, StreamRecord } from "../processor.js";
import type { Serde } from "../serdes.js";
import { Stores } from "../state/stores.js";
import type { WindowStore } from "../state/window-store.js";
import type { JoinWindows } from "../windows.js";
import { type BuilderState, statelessSupplier } from "./internal.js";
import { KStream } from "./kstream.js";

/** Several values at one (key, timestamp): count, then length-prefixed values (Kafka keeps duplicates too). */
export function listSerde<V>(inner: Serde<V>): Serde<V[]> {
  return {
    serialize(topic, list) {
      if (list === null) return null;
      const parts = list.map((v) => inner.serialize(topic, v) ?? Buffer.alloc(0));
      const out = Buffer.allocUnsafe(4 + parts.reduce((n, p) => n + 4 + p.length, 0));
      out.writeInt32BE(parts.length, 0);
      let at = 4;
      for (const p of parts) {
        out.writeInt32BE(p.length, at);
        p.copy(out, at + 4);
        at += 4 + p.length;
      }
      return out;
    },
    deserialize(topic, data) {
      if (data === null) return null;
      const out: V[] = [];
      let at = 4;
      for (let i = data.readInt32BE(0); i > 0; i--) {
        const len = data.readInt32BE(at);
        out.push(inner.deserialize(topic, data.subarray(at + 4, at + 4 + len)) as V);
        at += 4 + len;
      }
      return out;
    },
  };
}

interface Side<K, V> {
  stream: KStream<K, V>;
  store: string;
  valueSerde: Serde<V> | undefined;
}

export function streamStreamJoin<K, V, VO, VR>(
  left: KStream<K, V>,
  right: KStream<K, VO>,
  joiner: (value: V, other: VO | null) => VR,
  windows: JoinWindows,
  kind: "inner" | "left",
  serdes: { key?: Serde<K>; value?: Serde<V>; otherValue?: Serde<VO> },
): KStream<K, VR> {
  const state = left.state;
  const key = serdes.key ?? left.serdes.key ?? right.serdes.key;
  const retentionMs = windows.beforeMs + windows.afterMs + windows.graceMs + 1;
  const sides: [Side<K, V>, Side<K, VO>] = [
    { stream: left, store: state.newName("KSTREAM-JOINTHIS-STORE"), valueSerde: serdes.value ?? left.serdes.value },
    {
      stream: right,
      store: state.newName("KSTREAM-JOINOTHER-STORE"),
      valueSerde: serdes.otherValue ?? right.serdes.value,
    },
  ];
  const unmatched = kind === "left" ? state.newName("KSTREAM-OUTERSHARED-STORE") : null;
  const ranges = [
    (ts: number) => [ts - windows.beforeMs, ts + windows.afterMs] as const,
    (ts: number) => [ts - windows.afterMs, ts + windows.beforeMs] as const,
  ];
  const names = sides.map((side, i) => {
    const other = sides[1 - i]!;
    const combine = (mine: unknown, theirs: unknown) =>
      i === 0 ? joiner(mine as V, theirs as VO) : joiner(theirs as V, mine as VO);
    const supplier: ProcessorSupplier<K, unknown, K, VR> = () => {
      let context: ProcessorContext<K, VR>;
      let mine: WindowStore<K, unknown[]>;
      let theirs: WindowStore<K, unknown[]>;
      let pending: WindowStore<K, unknown[]> | null = null;
      return {
        init(c) {
          context = c;
          mine = c.getStateStore(side.store);
          theirs = c.getStateStore(other.store);
          if (unmatched !== null) pending = c.getStateStore<WindowStore<K, unknown[]>>(unmatched);
        },
        process(r: StreamRecord<K, unknown>) {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          const now = context.currentStreamTimeMs();
          if (r.timestamp < now - retentionMs) return; // too late to join anything
          // Emit closed windows first: the put below may evict what it would otherwise emit.
          if (pending) emitClosed(pending, context, now - windows.afterMs - windows.graceMs, joiner);
          mine.put(r.key, [...(mine.fetch(r.key, r.timestamp) ?? []), r.value], r.timestamp);
          const [from, to] = ranges[i]!(r.timestamp);
          let matched = false;
          for (const { start, value } of theirs.fetchRange(r.key, from, to))
            for (const v of value) {
              matched = true;
              context.forward({ ...r, value: combine(r.value, v), timestamp: Math.max(r.timestamp, start) });
              if (i === 1 && pending) pending.put(r.key, null, start); // the left record found a match
            }
          if (i === 0 && pending && !matched)
            pending.put(r.key, [...(pending.fetch(r.key, r.timestamp) ?? []), r.value], r.timestamp);
        },
      };
    };
    return state.addProcessor(i === 0 ? "KSTREAM-JOINTHIS" : "KSTREAM-JOINOTHER", [side.stream.nodeName], supplier);
  });
  addJoinStores(state, sides as readonly Side<K, unknown>[], names, unmatched, key, retentionMs);
  const merged = state.addProcessor(
    "KSTREAM-MERGE",
    names,
    statelessSupplier<K, VR, K, VR>((r, forward) => forward(r)),
  );
  return new KStream<K, VR>(state, merged, { key, value: undefined }, false);
}

/** Each side's buffer (written by its processor, read by the other's) and leftJoin's unmatched store. */
function addJoinStores<K>(
  state: BuilderState,
  sides: readonly { store: string; valueSerde: Serde<unknown> | undefined }[],
  names: readonly string[],
  unmatched: string | null,
  key: Serde<K> | undefined,
  retentionMs: number,
): void {
  for (const [i, side] of sides.entries()) {
    state.topology.addStateStore(
      Stores.windowStore({
        name: side.store,
        key,
        value: side.valueSerde === undefined ? undefined : listSerde(side.valueSerde as Serde<unknown>),
        windowSizeMs: 1,
        retentionMs,
      }),
      names[i]!,
    );
    state.topology.connectProcessorAndStateStores([names[1 - i]!, side.store]);
  }
  if (unmatched !== null) {
    const value = sides[0]!.valueSerde;
    state.topology.addStateStore(
      Stores.windowStore({
        name: unmatched,
        key,
        value: value === undefined ? undefined : listSerde(value as Serde<unknown>),
        windowSizeMs: 1,
        retentionMs,
      }),
      ...names,
    );
  }
}

/** Left records whose window closed without a match: emitted as (value, null), then forgotten. */
function emitClosed<K, V, VO, VR>(
  pending: WindowStore<K, unknown[]>,
  context: ProcessorContext<K, VR>,
  closedBefore: number,
  joiner: (value: V, other: VO | null) => VR,
): void {
  for (const { key, value } of pending.all()) {
    const ts = key.window.start;
    if (ts >= closedBefore) break; // all() is ordered by time
    for (const v of value) context.forward({ key: key.key, value: joiner(v as V, null), timestamp: ts });
    pending.put(key.key, null, ts);
  }
}
