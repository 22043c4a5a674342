// The in-memory model of one classic consumer group (Kafka's GroupMetadata / ClassicGroup).
// Mutated only by the shard; this file holds the state, the legal state transitions and the
// protocol bookkeeping, and no request handling.
import { assert } from "./errors.js";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** Kafka's GroupState.validPreviousStates. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

export interface Protocol {
  name: string;
  metadata: Buffer;
}

/** A JoinGroup or SyncGroup request whose response is deferred until the rebalance moves on. */
export interface PendingRequest {
  requestId: number;
  version: number;
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  awaitingJoin: PendingRequest | null;
  awaitingSync: PendingRequest | null;
  /** Joined during the current rebalance and not yet given a generation (KIP-394 join timeout). */
  isNew: boolean;
}

export interface OffsetEntry {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Explicit expiry from OffsetCommit v2-4 retention_time, or -1 (use the group's retention). */
  expireTimestampMs: number;
}

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export class ClassicGroup {
  state: GroupState = "Empty";
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED (JoinGroup v4+) that have not joined yet. */
  readonly pendingMembers = new Set<string>();
  /** group.instance.id -> member id (KIP-345 static membership). */
  readonly staticMembers = new Map<string, string>();
  readonly offsets = new Map<string, OffsetEntry>();
  /** Set when a member joins during an initial delayed join (extends the delay, KIP-134). */
  newMemberAdded = false;
  /** The current PreparingRebalance started from Empty and waits group.initial.rebalance.delay.ms. */
  inInitialDelay = false;
  initialDelayRemainingMs = 0;
  /** When the group last changed state (Kafka's currentStateTimestamp; drives offset expiry). */
  currentStateTimestampMs: number;
  /** Votes per protocol name, to answer "is this protocol supported by every member" in O(1). */
  private readonly protocolCounts = new Map<string, number>();

  constructor(
    readonly groupId: string,
    nowMs: number,
  ) {
    this.currentStateTimestampMs = nowMs;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(target: GroupState, nowMs: number): void {
    assert(VALID_PREVIOUS[target].includes(this.state), `group ${this.groupId}: ${this.state} -> ${target}`);
    this.state = target;
    this.currentStateTimestampMs = nowMs;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  addMember(member: Member): void {
    assert(!this.members.has(member.memberId), "member added twice");
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, "member protocol type differs from the group's");
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    for (const p of member.protocols) this.protocolCounts.set(p.name, (this.protocolCounts.get(p.name) ?? 0) + 1);
  }

  removeMember(memberId: string): Member | undefined {
    const m = this.members.get(memberId);
    if (m === undefined) return undefined;
    this.members.delete(memberId);
    for (const p of m.protocols) {
      const n = (this.protocolCounts.get(p.name) ?? 0) - 1;
      if (n <= 0) this.protocolCounts.delete(p.name);
      else this.protocolCounts.set(p.name, n);
    }
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) {
      this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done === true ? null : next.value;
    }
    return m;
  }

  /** Replaces a member's protocols (a rejoin with possibly new subscriptions). */
  updateProtocols(member: Member, protocols: Protocol[]): void {
    for (const p of member.protocols) {
      const n = (this.protocolCounts.get(p.name) ?? 0) - 1;
      if (n <= 0) this.protocolCounts.delete(p.name);
      else this.protocolCounts.set(p.name, n);
    }
    member.protocols = protocols;
    for (const p of protocols) this.protocolCounts.set(p.name, (this.protocolCounts.get(p.name) ?? 0) + 1);
  }

  /** Kafka's supportsProtocols: the join is compatible with the group's type and common protocols. */
  supportsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => this.protocolCounts.get(p.name) === this.members.size);
  }

  /**
   * Kafka's selectProtocol: among the protocols every member supports, each member votes for its
   * most preferred one; the most votes wins. Ties go to the protocol listed first by the leader,
   * which keeps the choice deterministic.
   */
  selectProtocol(): string {
    assert(this.members.size > 0, "selectProtocol on an empty group");
    const candidates = new Set<string>();
    for (const [name, n] of this.protocolCounts) if (n === this.members.size) candidates.add(name);
    assert(candidates.size > 0, "no protocol supported by every member");
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    const leader =
      (this.leaderId !== null ? this.members.get(this.leaderId) : undefined) ?? this.members.values().next().value!;
    let best: string | undefined;
    let bestVotes = -1;
    for (const p of leader.protocols) {
      const v = votes.get(p.name) ?? 0;
      if (candidates.has(p.name) && v > bestVotes) {
        best = p.name;
        bestVotes = v;
      }
    }
    assert(best !== undefined, "protocol selection found no candidate");
    return best;
  }

  metadataFor(member: Member, protocolName: string | null): Buffer {
    return member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return true;
  }

  /** Largest rebalance timeout of the members (the bound of a DelayedJoin). */
  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Static member fenced: the instance id is registered to a different member id (KIP-345). */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null | undefined): boolean {
    if (groupInstanceId === null || groupInstanceId === undefined) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function splitOffsetKey(key: string): [string, number] {
  const i = key.lastIndexOf("\u0000");
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
