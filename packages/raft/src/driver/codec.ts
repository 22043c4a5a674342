// msgpackr encodings of raft types as positional arrays (compact, no record extension, stable
// on disk and on the wire).
import { Packr } from "msgpackr";
import type { Entry, EntryType, HardState, Message, MessageType, Snapshot, SnapshotMeta } from "../core/types.js";

export const packr = new Packr({ useRecords: false, moreTypes: false });

const MSG_TYPES: MessageType[] = [
  "app",
  "appResp",
  "vote",
  "voteResp",
  "preVote",
  "preVoteResp",
  "heartbeat",
  "heartbeatResp",
  "snap",
  "timeoutNow",
  "readIndex",
  "readIndexResp",
];
const MSG_CODE = new Map(MSG_TYPES.map((t, i) => [t, i]));
const ENTRY_TYPES: EntryType[] = ["normal", "noop"];

type EntryTuple = [number, number, number, Uint8Array];

export function entryToTuple(e: Entry): EntryTuple {
  return [e.term, e.index, e.type === "normal" ? 0 : 1, e.data];
}

export function entryFromTuple(t: unknown): Entry {
  const [term, index, type, data] = t as EntryTuple;
  const et = ENTRY_TYPES[type];
  if (
    !Number.isSafeInteger(term) ||
    !Number.isSafeInteger(index) ||
    et === undefined ||
    !(data instanceof Uint8Array)
  ) {
    throw new Error("malformed entry");
  }
  return { term, index, type: et, data };
}

type MetaTuple = [number, number, number[], number[]];

function metaToTuple(m: SnapshotMeta): MetaTuple {
  return [m.index, m.term, m.membership.voters, m.membership.learners];
}

function metaFromTuple(t: MetaTuple): SnapshotMeta {
  return { index: t[0], term: t[1], membership: { voters: t[2], learners: t[3] } };
}

export function snapshotToTuple(s: Snapshot): [MetaTuple, Uint8Array] {
  return [metaToTuple(s.meta), s.data];
}

export function snapshotFromTuple(t: unknown): Snapshot {
  const [meta, data] = t as [MetaTuple, Uint8Array];
  if (!Array.isArray(meta) || !(data instanceof Uint8Array)) throw new Error("malformed snapshot");
  return { meta: metaFromTuple(meta), data };
}

export function messageToTuple(m: Message): unknown[] {
  return [
    MSG_CODE.get(m.type),
    m.from,
    m.to,
    m.term,
    m.logTerm,
    m.index,
    m.entries.map(entryToTuple),
    m.commit,
    m.reject,
    m.rejectHint,
    m.context,
    m.snapshot === null ? null : snapshotToTuple(m.snapshot),
  ];
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Decode and validate one message: bad input from the network throws, it never crashes raft. */
export function messageFromTuple(t: unknown): Message {
  if (!Array.isArray(t) || t.length !== 12) throw new Error("malformed message");
  const type = MSG_TYPES[t[0] as number];
  if (type === undefined) throw new Error(`unknown message type ${String(t[0])}`);
  for (const k of [1, 2, 3, 4, 5, 7, 9]) if (!isCount(t[k])) throw new Error(`malformed message field ${k}`);
  if (typeof t[8] !== "boolean" || typeof t[10] !== "string" || !Array.isArray(t[6]))
    throw new Error("malformed message");
  return {
    type,
    from: t[1] as number,
    to: t[2] as number,
    term: t[3] as number,
    logTerm: t[4] as number,
    index: t[5] as number,
    entries: (t[6] as unknown[]).map(entryFromTuple),
    commit: t[7] as number,
    reject: t[8] as boolean,
    rejectHint: t[9] as number,
    context: t[10] as string,
    snapshot: t[11] === null ? null : snapshotFromTuple(t[11]),
  };
}

export function encodeMessages(msgs: Message[]): Buffer {
  return packr.pack(msgs.map(messageToTuple));
}

export function decodeMessages(buf: Uint8Array): Message[] {
  const v = packr.unpack(buf) as unknown;
  if (!Array.isArray(v)) throw new Error("malformed frame");
  return v.map(messageFromTuple);
}

export function encodeHardState(hs: HardState): Buffer {
  return packr.pack([hs.term, hs.vote, hs.commit]);
}

export function decodeHardState(buf: Uint8Array): HardState {
  const [term, vote, commit] = packr.unpack(buf) as [number, number, number];
  return { term, vote, commit };
}
