import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const bytes = (s: string): Uint8Array => enc.encode(s);
