// State stores: every write goes to the changelog, and replaying the changelog (restore) or a
// snapshot (checkpoint) into a fresh store rebuilds the same contents, for each store type.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Prng } from "@gregor/testkit";
import { describe, expect, it } from "vitest";
import {
  InMemoryKeyValueStore,
  InMemorySessionStore,
  InMemoryWindowStore,
  type ManagedStore,
  Serdes,
} from "../src/index.js";
import { loadCheckpoint, writeCheckpoint } from "../src/runtime/checkpoint.js";

const str = Serdes.string();
const int = Serdes.int32();

/** Attaches a changelog that records every write, as the task does. */
function logged<S extends ManagedStore>(store: S): { store: S; changelog: [Buffer, Buffer | null][] } {
  const changelog: [Buffer, Buffer | null][] = [];
  store.attach({ topic: "t", logger: (k, v) => changelog.push([k, v]), streamTimeMs: () => 0 });
  return { store, changelog };
}

function replay<S extends ManagedStore>(fresh: S, changelog: [Buffer, Buffer | null][]): S {
  fresh.attach({ topic: "t", logger: null, streamTimeMs: () => 0 });
  for (const [k, v] of changelog) fresh.restore(k, v);
  return fresh;
}

describe("state stores restore from their changelog", () => {
  it("key-value: random puts and deletes (seeded)", () => {
    const seed = 7;
    const prng = new Prng(seed);
    const { store, changelog } = logged(new InMemoryKeyValueStore("kv", str, int));
    for (let i = 0; i < 500; i++) {
      const key = `k${Math.floor(prng.next() * 40)}`;
      if (prng.next() < 0.2) store.delete(key);
      else store.put(key, Math.floor(prng.next() * 1000));
    }
    const restored = replay(new InMemoryKeyValueStore("kv", str, int), changelog);
    expect(restored.all(), `seed ${seed}`).toEqual(store.all());
    expect(changelog.length).toBeGreaterThanOrEqual(400);
  });

  it("window: puts across windows, deletes, retention drops old windows in both", () => {
    const { store, changelog } = logged(new InMemoryWindowStore("w", str, int, 10, 30));
    for (let start = 0; start <= 100; start += 10) {
      store.put("a", start, start);
      store.put("b", start + 1, start);
    }
    store.put("a", null, 90);
    const restored = replay(new InMemoryWindowStore("w", str, int, 10, 30), changelog);
    expect(restored.all()).toEqual(store.all());
    expect(store.fetch("a", 0)).toBeNull(); // past retention
    expect(store.fetchRange("a", 0, 100).map((w) => w.start)).toEqual([80, 100]);
  });

  it("session: sessions put and removed", () => {
    const { store, changelog } = logged(new InMemorySessionStore("s", str, int, 1000));
    store.put("u", 0, 5, 2);
    store.put("u", 20, 20, 1);
    store.put("u", 0, 5, null);
    store.put("u", 20, 20, null);
    store.put("u", 0, 20, 4);
    store.put("v", 3, 3, 1);
    const restored = replay(new InMemorySessionStore("s", str, int, 1000), changelog);
    expect(restored.all()).toEqual(store.all());
    expect(restored.fetch("u")).toEqual([{ start: 0, end: 20, value: 4 }]);
  });

  it("checkpoint: snapshots load into fresh stores with the changelog offset; files are removed once loaded", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "streams-ckpt-")), "0_1");
    const kv = new InMemoryKeyValueStore("kv", str, int);
    const win = new InMemoryWindowStore("w", str, int, 10, 100);
    const ses = new InMemorySessionStore("s", str, int, 100);
    for (const s of [kv, win, ses]) s.attach({ topic: "t", logger: null, streamTimeMs: () => 0 });
    kv.put("a", 1);
    win.put("a", 2, 10);
    ses.put("a", 0, 5, 3);
    writeCheckpoint(
      dir,
      [
        { store: kv, topic: "app-kv-changelog", offset: 12n },
        { store: win, topic: "app-w-changelog", offset: 7n },
        { store: ses, topic: "app-s-changelog", offset: 3n },
      ],
      1,
    );
    const fresh = [
      new InMemoryKeyValueStore("kv", str, int),
      new InMemoryWindowStore("w", str, int, 10, 100),
      new InMemorySessionStore("s", str, int, 100),
    ] as const;
    const topics = ["app-kv-changelog", "app-w-changelog", "app-s-changelog"];
    const stores = fresh.map((store, i) => ({ store: store as ManagedStore, topic: topics[i]! }));
    const loaded = loadCheckpoint(dir, stores);
    expect(loaded.records).toBe(3);
    expect([...loaded.offsets]).toEqual([
      ["app-kv-changelog", 12n],
      ["app-w-changelog", 7n],
      ["app-s-changelog", 3n],
    ]);
    expect([fresh[0].get("a"), fresh[1].fetch("a", 10), fresh[2].fetch("a")]).toEqual([
      1,
      2,
      [{ start: 0, end: 5, value: 3 }],
    ]);
    expect(loadCheckpoint(dir, stores).offsets.size).toBe(0); // gone: a second start restores in full
  });
});
