// A linearizability checker in the style of Wing & Gong / Lowe, as used by Knossos and
// Porcupine: depth-first search over the history's call/return events with a cache of
// (linearized set, model state), partitioned per key (P-compositionality).

export interface HistoryOp {
  client: number;
  call: number;
  /** Infinity when the outcome is unknown (timed out): it may or may not have happened. */
  ret: number;
  kind: "put" | "append" | "get";
  key: string;
  value: string;
  /** Result of a get. */
  output: string;
}

function step(state: string, op: HistoryOp): string | undefined {
  switch (op.kind) {
    case "put":
      return op.value;
    case "append":
      return state + op.value;
    case "get":
      return op.output === state ? state : undefined;
  }
}

interface Node {
  id: number;
  isCall: boolean;
  time: number;
  match: Node | null; // call -> its return
  prev: Node | null;
  next: Node | null;
}

/** True if the single-key history is linearizable from the empty initial value. */
export function checkKey(ops: HistoryOp[], budget = 5_000_000): boolean {
  const events: Node[] = [];
  ops.forEach((op, id) => {
    const call: Node = { id, isCall: true, time: op.call, match: null, prev: null, next: null };
    const ret: Node = { id, isCall: false, time: op.ret, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  // Calls before returns at equal times: treat touching intervals as concurrent.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));
  const head: Node = { id: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  const words = Math.ceil(ops.length / 32);
  const bits = new Uint32Array(words);
  const cache = new Set<string>();
  const stack: { entry: Node; state: string }[] = [];
  let state = "";
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > budget) throw new Error("linearizability check exceeded its budget");
    if (entry === null) return false;
    if (entry.isCall) {
      const next = step(state, ops[entry.id]!);
      if (next !== undefined) {
        bits[entry.id >> 5]! |= 1 << (entry.id & 31);
        const key = `${bits.join(",")}|${next}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        bits[entry.id >> 5]! &= ~(1 << (entry.id & 31));
      }
      entry = entry.next;
    } else {
      const top = stack.pop();
      if (top === undefined) return false;
      state = top.state;
      bits[top.entry.id >> 5]! &= ~(1 << (top.entry.id & 31));
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return true;
}

function lift(call: Node): void {
  call.prev!.next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: Node): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next !== null) call.next.prev = call;
}

/**
 * Drop writes with an unknown outcome whose (unique) value no read ever observed: such a write
 * can always be linearized as "never happened" (or hidden just before an overwrite), so
 * removing it changes no verdict, and it prunes the search that unknown outcomes blow up.
 */
export function pruneUnobserved(ops: HistoryOp[]): HistoryOp[] {
  const seen = ops.filter((o) => o.kind === "get").map((o) => o.output);
  return ops.filter((o) => o.kind === "get" || o.ret !== Infinity || seen.some((v) => v.includes(o.value)));
}

/** Check a whole history, one key at a time. Returns the first non-linearizable key. */
export function checkHistory(ops: HistoryOp[]): { ok: true } | { ok: false; key: string; ops: HistoryOp[] } {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of pruneUnobserved(ops)) {
    let list = byKey.get(op.key);
    if (list === undefined) {
      list = [];
      byKey.set(op.key, list);
    }
    list.push(op);
  }
  for (const [key, list] of byKey) {
    if (!checkKey(list)) return { ok: false, key, ops: list };
  }
  return { ok: true };
}
