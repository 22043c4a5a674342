// The replicated key-value state machine used by the simulator, with client sessions so a
// retried write takes effect at most once (thesis §6.3).
export type KvOp =
  | { kind: "put"; key: string; value: string }
  | { kind: "append"; key: string; value: string }
  | { kind: "get"; key: string };

export interface KvCommand {
  c: number; // client id
  s: number; // client sequence number
  op: KvOp;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(cmd: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(cmd));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(dec.decode(data)) as KvCommand;
}

export class Kv {
  data = new Map<string, string>();
  sessions = new Map<number, number>();

  /** Apply a write; false if it is a duplicate (already applied) of a retried request. */
  apply(cmd: KvCommand): boolean {
    const last = this.sessions.get(cmd.c) ?? 0;
    if (cmd.s <= last) return false;
    this.sessions.set(cmd.c, cmd.s);
    const op = cmd.op;
    if (op.kind === "put") this.data.set(op.key, op.value);
    else if (op.kind === "append") this.data.set(op.key, (this.data.get(op.key) ?? "") + op.value);
    return true;
  }

  get(key: string): string {
    return this.data.get(key) ?? "";
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ d: [...this.data], s: [...this.sessions] }));
  }

  static restore(data: Uint8Array): Kv {
    const o = JSON.parse(dec.decode(data)) as { d: [string, string][]; s: [number, number][] };
    const kv = new Kv();
    kv.data = new Map(o.d);
    kv.sessions = new Map(o.s);
    return kv;
  }
}
