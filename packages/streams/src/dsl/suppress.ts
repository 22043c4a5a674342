// suppress(untilWindowCloses) (KIP-328): buffers the latest update of every window and emits it
// once stream time passes the window's end plus grace, so each window produces one final result.
// The buffer is in memory (not changelogged): a crash before a window closes loses its pending
// emission, while the window's aggregate itself is restored from its store's changelog.
import type { Change, ProcessorSupplier, StreamRecord } from "../processor.js";
import type { Windowed } from "../windows.js";

type Buffered<V> = StreamRecord<Windowed<unknown>, Change<V>>;

function bufferId(key: Windowed<unknown>): string {
  return `${key.window.start}:${key.window.end}:${JSON.stringify(key.key)}`;
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
        const earlier = buffer.get(id);
        // Keep the oldest oldValue and the newest newValue: one change for the whole window.
        buffer.delete(id);
        buffer.set(id, {
          ...record,
          value: { newValue: record.value.newValue, oldValue: earlier?.value.oldValue ?? record.value.oldValue },
        });
        const now = streamTime();
        const closed = [...buffer.entries()]
          .filter(([, r]) => r.key.window.end + graceMs <= now)
          .sort(([, a], [, b]) => a.key.window.end - b.key.window.end);
        for (const [closedId, r] of closed) {
          buffer.delete(closedId);
          forward(r);
        }
      },
    };
  };
}
