import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { tempDir, until, within } from "@gregor/testkit";
import { describe, expect, it } from "vitest";
import {
  decodeMessages,
  encodeMessages,
  FileLogStore,
  MemoryNetwork,
  NotLeaderError,
  ProposalDroppedError,
  ProposalTimeoutError,
  RaftNode,
  StorageLogStore,
  TcpTransport,
  type RaftLogStore,
  emptyMessage,
  type Entry,
  type Message,
  type NodeId,
} from "../src/index.js";
import { packr } from "../src/driver/codec.js";
import { ListMachine, bytes } from "./helpers.js";

function entry(term: number, index: number, s = `e${index}`): Entry {
  return { term, index, type: "normal", data: bytes(s) };
}

const stores: [string, (dir: string) => Promise<RaftLogStore>][] = [
  ["FileLogStore", (dir) => FileLogStore.open(dir)],
  ["StorageLogStore", (dir) => StorageLogStore.open(dir)],
];

describe.each(stores)("%s", (name, openStore) => {
  it("appends, truncates, reads, snapshots and recovers", async () => {
    const dir = tempDir("raft-store-");
    let s = await openStore(dir);
    expect((await s.load()).entries).toEqual([]);
    await s.append([entry(1, 1), entry(1, 2), entry(1, 3)]);
    await s.append([entry(2, 3, "x"), entry(2, 4)]); // overwrites 3
    await s.saveHardState({ term: 2, vote: 1, commit: 2 });
    await s.sync();
    expect((await s.read(2, 5)).map((e) => `${e.term}/${e.index}`)).toEqual(["1/2", "2/3", "2/4"]);
    await s.close();

    s = await openStore(dir);
    let st = await s.load();
    expect(st.hardState).toEqual({ term: 2, vote: 1, commit: 2 });
    expect(st.entries.map((e) => `${e.term}/${e.index}`)).toEqual(["1/1", "1/2", "2/3", "2/4"]);
    await s.saveSnapshot({
      meta: { index: 2, term: 1, membership: { voters: [1], learners: [] } },
      data: bytes("snap"),
    });
    await s.truncateSuffix(4);
    await s.sync();
    await s.close();

    // A torn write at the tail (crash mid-append) is dropped at load.
    if (name === "FileLogStore") appendFileSync(join(dir, "raft.log"), Buffer.from([0, 0, 0, 50, 1, 2, 3]));
    s = await openStore(dir);
    st = await s.load();
    expect(st.snapshot?.meta.index).toBe(2);
    expect(Buffer.from(st.snapshot!.data).toString()).toBe("snap");
    expect(st.entries.map((e) => `${e.term}/${e.index}`)).toEqual(["2/3"]);
    await s.append([entry(2, 4, "y")]);
    await s.sync();
    await s.close();
    s = await openStore(dir);
    st = await s.load();
    expect(st.entries.map((e) => Buffer.from(e.data).toString())).toEqual(["x", "y"]);
    await s.close();
  });

  it("accepts a snapshot beyond its log, then appends after it", async () => {
    const dir = tempDir("raft-store-");
    let s = await openStore(dir);
    await s.load();
    await s.append([entry(1, 1), entry(1, 2)]);
    await s.saveSnapshot({ meta: { index: 10, term: 3, membership: { voters: [1], learners: [] } }, data: bytes("s") });
    await s.truncateSuffix(11);
    await s.append([entry(3, 11), { term: 3, index: 12, type: "noop", data: new Uint8Array(0) }]);
    await s.sync();
    await s.close();
    s = await openStore(dir);
    const st = await s.load();
    expect(st.snapshot?.meta.index).toBe(10);
    expect(st.entries.map((e) => `${e.term}/${e.index}/${e.type}`)).toEqual(["3/11/normal", "3/12/noop"]);
    await s.close();
  });
});

describe("codec", () => {
  it("rejects malformed input", () => {
    const good = encodeMessages([emptyMessage("heartbeat", 1, 2, 3)]);
    expect(decodeMessages(good)).toHaveLength(1);
    expect(() => decodeMessages(packr.pack([[6, 1, 2, -3, 0, 0, [], 0, false, 0, "", null]]))).toThrow(/malformed/);
    expect(() => decodeMessages(packr.pack([[99, 1, 2, 3, 0, 0, [], 0, false, 0, "", null]]))).toThrow(
      /unknown message type/,
    );
    expect(() => decodeMessages(packr.pack({ not: "a list" }))).toThrow(/malformed/);
    expect(() => decodeMessages(packr.pack([[0, 1, 2, 3, 0, 0, [[1, 1, 0, "str"]], 0, false, 0, "", null]]))).toThrow(
      /malformed entry/,
    );
  });

  it("round-trips messages", () => {
    const m = emptyMessage("app", 1, 2, 3);
    m.entries = [entry(3, 7)];
    m.index = 6;
    m.logTerm = 2;
    m.commit = 5;
    const s = emptyMessage("snap", 1, 3, 3);
    s.snapshot = { meta: { index: 9, term: 2, membership: { voters: [1, 2, 3], learners: [4] } }, data: bytes("d") };
    const out = decodeMessages(encodeMessages([m, s]));
    expect(out[0]!.entries[0]!.index).toBe(7);
    expect(Buffer.from(out[0]!.entries[0]!.data).toString()).toBe("e7");
    expect({ ...out[0]!, entries: [] }).toEqual({ ...m, entries: [] });
    expect(out[1]!.snapshot!.meta).toEqual(s.snapshot.meta);
  });
});

interface Member {
  id: NodeId;
  dir: string;
  sm: ListMachine;
  snapshotsFromLeader: number[];
  transport: TcpTransport;
  node: RaftNode;
}

async function startMember(
  id: NodeId,
  dir: string,
  ports: Map<NodeId, number>,
  openStore: (dir: string) => Promise<RaftLogStore>,
): Promise<Member> {
  const transport = new TcpTransport({ port: ports.get(id) ?? 0 });
  const port = await transport.listen();
  ports.set(id, port);
  const sm = new ListMachine();
  const snapshotsFromLeader: number[] = [];
  const node = await RaftNode.start({
    id,
    membership: { voters: [1, 2, 3], learners: [] },
    store: await openStore(dir),
    transport,
    stateMachine: sm,
    tickMs: 10,
    electionTicks: 30,
    heartbeatTicks: 3,
    snapshotEntries: 50,
    // Well under vitest's timeout: a proposal that never commits fails the test with its error.
    proposalTimeoutMs: 10_000,
    onSnapshotRestored: (meta) => snapshotsFromLeader.push(meta.index),
  });
  return { id, dir, sm, snapshotsFromLeader, transport, node };
}

/** Bounded waits for a 3-node cluster: under vitest's 60 s, with room for a loaded CI box. */
const CLUSTER_WAIT_MS = 20_000;

/** Propose through whichever member leads now, retrying if leadership moves (a loaded box). */
async function proposeVia(members: Member[], data: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const leader = await until(() => members.find((m) => m.node.isLeader && m.node.error === null), {
      timeoutMs: CLUSTER_WAIT_MS,
      what: "a leader",
    });
    try {
      await leader.node.propose(bytes(data));
      return;
    } catch (err) {
      if (attempt > 50 || !(err instanceof NotLeaderError || err instanceof ProposalDroppedError)) throw err;
    }
  }
}

describe("RaftNode over TCP", () => {
  it.each(stores)("replicates, survives a restart and catches up by snapshot (%s)", async (_name, openStore) => {
    const ports = new Map<NodeId, number>();
    const members: Member[] = [];
    for (const id of [1, 2, 3]) {
      const dir = tempDir(`raft-node${id}-`);
      members.push(await startMember(id, dir, ports, openStore));
    }
    for (const m of members)
      for (const [id, port] of ports) if (id !== m.id) m.transport.setPeer(id, { host: "127.0.0.1", port });
    try {
      const leader = await until(() => members.find((m) => m.node.isLeader), {
        timeoutMs: CLUSTER_WAIT_MS,
        what: "a leader",
      });
      const follower = members.find((m) => m !== leader && !m.node.isLeader)!;
      await expect(follower.node.propose(bytes("nope"))).rejects.toBeInstanceOf(NotLeaderError);
      await Promise.all(Array.from({ length: 100 }, (_, i) => proposeVia(members, `a${i}`)));
      await until(() => members.every((m) => m.sm.items.length === 100), {
        timeoutMs: CLUSTER_WAIT_MS,
        what: "all 100 entries applied on every member",
      });
      for (const m of members) expect(m.sm.items).toEqual(members[0]!.sm.items);

      // Linearizable read at a follower.
      const idx = await within(follower.node.readIndex(), { what: "a read index at a follower" });
      expect(follower.node.applied).toBeGreaterThanOrEqual(idx);

      // Stop a member, write enough to compact past it, restart it from its directory.
      await follower.node.stop();
      const alive = members.filter((m) => m !== follower);
      // In sequential batches, so the leader compacts along the way (every 50 applied).
      for (let k = 0; k < 15; k++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => proposeVia(alive, `b${k * 10 + i}`)));
      }
      const lead = await until(() => alive.find((m) => m.node.isLeader), {
        timeoutMs: CLUSTER_WAIT_MS,
        what: "a leader among the live members",
      });
      await until(() => lead.node.status().snapshotIndex > follower.node.applied, {
        timeoutMs: CLUSTER_WAIT_MS,
        what: "the leader to compact past the stopped member",
      });
      const restarted = await startMember(follower.id, follower.dir, ports, openStore);
      for (const [id, port] of ports)
        if (id !== restarted.id) restarted.transport.setPeer(id, { host: "127.0.0.1", port });
      members[members.indexOf(follower)] = restarted;
      await until(() => restarted.sm.items.length === 250, {
        timeoutMs: CLUSTER_WAIT_MS,
        what: "the restarted member to catch up to 250 entries",
      });
      expect(restarted.sm.items).toEqual(lead.sm.items);
      expect(restarted.snapshotsFromLeader.length).toBeGreaterThan(0);
    } finally {
      for (const m of members) await m.node.stop();
    }
  });

  it("carries large frames and many small ones, in order", async () => {
    const rx = new TcpTransport();
    const got: Message[] = [];
    rx.setHandler((msgs) => got.push(...msgs));
    const port = await rx.listen();
    const tx = new TcpTransport({ peers: new Map([[2, { host: "127.0.0.1", port }]]) });
    const big = emptyMessage("app", 1, 2, 1);
    big.entries = [{ term: 1, index: 1, type: "normal", data: new Uint8Array(3 << 20).fill(7) }];
    tx.send([big]);
    for (let i = 0; i < 500; i++) tx.send([{ ...emptyMessage("heartbeat", 1, 2, 1), commit: i }]);
    await until(() => got.length === 501, { what: "all 501 messages" });
    expect(got[0]!.entries[0]!.data.length).toBe(3 << 20);
    expect(got.slice(1).map((m) => m.commit)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    await tx.close();
    await rx.close();
  });

  it("closes a connection that sends a frame over the limit", async () => {
    const rx = new TcpTransport({ maxFrameBytes: 1024 });
    rx.setHandler(() => {});
    const port = await rx.listen();
    const sock = connect({ host: "127.0.0.1", port });
    sock.on("error", () => {});
    await within(new Promise<void>((r) => sock.on("connect", () => r())), { what: "the connection" });
    const closed = new Promise<void>((r) => sock.on("close", () => r()));
    sock.write(Buffer.from([0, 1, 0, 0]));
    await within(closed, { what: "the transport to close a connection sending a 65,536-byte frame" });
    await rx.close();
  });

  it("closes a connection that sends garbage, and keeps working", async () => {
    const t = new TcpTransport();
    const got: unknown[] = [];
    t.setHandler((msgs) => got.push(...msgs));
    const port = await t.listen();
    const bad = connect({ host: "127.0.0.1", port });
    bad.on("error", () => {});
    await within(new Promise<void>((r) => bad.on("connect", () => r())), { what: "the connection" });
    const closed = new Promise<void>((r) => bad.on("close", () => r()));
    bad.write(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
    await within(closed, { what: "the transport to close a connection sending garbage" });
    const sender = new TcpTransport({ peers: new Map([[9, { host: "127.0.0.1", port }]]) });
    sender.send([emptyMessage("heartbeat", 1, 9, 1)]);
    await until(() => got.length === 1, { what: "the message after the garbage connection" });
    await sender.close();
    await t.close();
  });
});

describe("RaftNode proposals", () => {
  it("times out a proposal stuck on an isolated leader (outcome unknown)", async () => {
    const net = new MemoryNetwork();
    const nodes: RaftNode[] = [];
    for (const id of [1, 2, 3]) {
      const dir = tempDir(`raft-iso${id}-`);
      nodes.push(
        await RaftNode.start({
          id,
          membership: { voters: [1, 2, 3], learners: [] },
          store: await FileLogStore.open(dir),
          transport: net.transport(id),
          stateMachine: new ListMachine(),
          tickMs: 10,
          electionTicks: 30,
          proposalTimeoutMs: 300,
        }),
      );
    }
    try {
      const leader = await until(() => nodes.find((n) => n.isLeader), { timeoutMs: CLUSTER_WAIT_MS, what: "a leader" });
      await leader.propose(bytes("ok"));
      net.isolated.add(leader.id);
      await expect(leader.propose(bytes("stuck"))).rejects.toBeInstanceOf(ProposalTimeoutError);
      // Check-quorum: the isolated leader steps down; the others elect a new one.
      await until(() => !leader.isLeader, { timeoutMs: CLUSTER_WAIT_MS, what: "the isolated leader to step down" });
      await until(() => nodes.find((n) => n !== leader && n.isLeader), {
        timeoutMs: CLUSTER_WAIT_MS,
        what: "a new leader",
      });
    } finally {
      for (const n of nodes) await n.stop();
    }
  });
});
