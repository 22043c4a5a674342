import type { Entry, SnapshotMeta, StateMachine } from "../src/index.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A list of applied strings. */
export class ListMachine implements StateMachine {
  items: string[] = [];
  restores = 0;
  apply(entries: Entry[]): void {
    for (const e of entries) this.items.push(dec.decode(e.data));
  }
  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify(this.items));
  }
  restore(data: Uint8Array, _meta: SnapshotMeta): void {
    this.items = JSON.parse(dec.decode(data)) as string[];
    this.restores++;
  }
}

export const bytes = (s: string): Uint8Array => enc.encode(s);
