// suppress(untilWindowCloses) (KIP-328): buffers the latest update of every window and emits it
// once stream time passes the window's end plus grace, so each window produces one final result.
// The buffer is in memory (not changelogged): a crash before a window closes loses its pending
// emission, while the window's aggregate itself is restored from its store's changelog.
import type { Change, ProcessorSupplier, StreamRecord } from "../processor.js";
import type { Windowed } from "../windows.js";

type Buffered<V> = StreamRecord<Windowed<unknown>, Change<V>>;

/** Buffer entries close in window-end order; ties go by key (Kafka's buffer orders by time, then key). */
function bufferId(key: Windowed<unknown>): string {
  return `${JSON.stringify(key.key)}:${key.window.start}`;
}

export function suppressSupplier<V>(
  graceMs: number,
): ProcessorSupplier<Windowed<unknown>, Change<V>, Windowed<unknown>, Change<V>> {
  return () => {
    const buffer = new Map<string, Buffered<V>>();
    let forward: (r: Buffered<V>) => void = () => {};
    let streamTime: () => number = () => -1;
    return {
      init(context) {
        forward = (r) => context.forward(r);
        streamTime = () => context.currentStreamTimeMs();
      },
      process(record) {
        const id = bufferId(record.key);
        // A window (session) merged away before it closed was never emitted: nothing to retract.
        if (record.value.newValue === null) {
          buffer.delete(id);
          return;
        }
        const earlier = buffer.get(id);
        // Keep the oldest oldValue and the newest newValue: one change for the whole window.
        buffer.set(id, {
          ...record,
          value: { newValue: record.value.newValue, oldValue: earlier?.value.oldValue ?? record.value.oldValue },
        });
        const now = streamTime();
        const closed = [...buffer.entries()]
          .filter(([, r]) => r.key.window.end + graceMs <= now)
          .sort(([idA, a], [idB, b]) => a.key.window.end - b.key.window.end || (idA < idB ? -1 : 1));
        for (const [closedId, r] of closed) {
          buffer.delete(closedId);
          forward(r);
        }
      },
    };
  };
}
