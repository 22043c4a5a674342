// Test harness for the pure coordinator core: a virtual clock, request ids, and a log of every
// emitted record and completion (so tests can replay the records into a fresh shard).
import {
  GroupCoordinatorShard,
  PENDING,
  type ApiMap,
  type ApiName,
  type CoordinatorRecord,
  type GroupConfig,
  type Out,
} from "../src/group/index.js";
import { Prng } from "@gregor/testkit";

export const TOPICS = new Map<string, number>([
  ["t1", 6],
  ["t2", 2],
]);

export function newShard(config: Partial<GroupConfig> = {}, seed = 1): GroupCoordinatorShard {
  return new GroupCoordinatorShard({
    config: { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 1000, ...config },
    topics: { partitionCount: (t) => TOPICS.get(t) },
    random: new Prng(seed, "mulberry32").random,
  });
}

export class Sim {
  nowMs = 1_000_000;
  private nextRequestId = 1;
  readonly records: CoordinatorRecord[] = [];
  /** Deferred responses delivered so far, by request id. */
  readonly completed = new Map<number, unknown>();
  readonly pending = new Set<number>();
  duplicateCompletions = 0;

  constructor(readonly shard: GroupCoordinatorShard = newShard()) {
    shard.onLoaded(this.nowMs);
  }

  send<K extends ApiName>(
    api: K,
    body: ApiMap[K][0],
    version = 5,
    clientId = "c",
  ): { requestId: number; response: ApiMap[K][1] } {
    const requestId = this.nextRequestId++;
    const r = this.shard.handle(
      { api, call: { requestId, version, clientId, clientHost: "/127.0.0.1" }, body } as never,
      this.nowMs,
    );
    if (r.response === PENDING) this.pending.add(requestId);
    this.absorb(r);
    return { requestId, response: r.response as ApiMap[K][1] };
  }

  advance(ms: number): void {
    this.nowMs += ms;
    this.absorb(this.shard.tick(this.nowMs));
  }

  private absorb(out: Out): void {
    this.records.push(...out.records);
    for (const c of out.completions) {
      if (!this.pending.delete(c.requestId)) this.duplicateCompletions++;
      this.completed.set(c.requestId, c.response);
    }
  }

  result<T>(requestId: number): T | undefined {
    return this.completed.get(requestId) as T | undefined;
  }
}

export const CONSUMER = "consumer";

export function protocols(
  names: string[] = ["range"],
  topics: string[] = ["t1"],
): { name: string; metadata: Buffer }[] {
  return names.map((name) => ({ name, metadata: subscription(topics) }));
}

/** ConsumerProtocolSubscription v0: int16 version, topics array, null user data. */
export function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), int32(topics.length)];
  for (const t of topics) {
    const b = Buffer.from(t);
    parts.push(Buffer.from([b.length >> 8, b.length & 0xff]), b);
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function joinBody(
  groupId: string,
  memberId = "",
  extra: Partial<ApiMap["JoinGroup"][0]> = {},
): ApiMap["JoinGroup"][0] {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    memberId,
    groupInstanceId: null,
    protocolType: CONSUMER,
    protocols: protocols(),
    ...extra,
  };
}
