// Partition assignors for the classic group protocol (pure functions: the group leader runs one).
// "range" is Kafka's RangeAssignor; "cooperative-sticky" keeps members' owned partitions while
// balancing and withholds partitions that must move until their old owner revoked them (KIP-429).

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  topics: string[];
  ownedPartitions: TopicPartitions[];
}

/** memberId -> topic -> partitions */
export type GroupAssignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  readonly name: string;
  /** "eager" revokes everything before rejoining; "cooperative" revokes only what moves. */
  readonly protocol: "eager" | "cooperative";
  assign(members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment;
}

function emptyAssignment(members: readonly MemberSubscription[]): GroupAssignment {
  const out: GroupAssignment = new Map();
  for (const m of members) out.set(m.memberId, new Map());
  return out;
}

function add(a: GroupAssignment, memberId: string, topic: string, partition: number): void {
  const m = a.get(memberId)!;
  let ps = m.get(topic);
  if (!ps) {
    ps = [];
    m.set(topic, ps);
  }
  ps.push(partition);
}

const byMemberKey = (a: MemberSubscription, b: MemberSubscription): number => {
  const ka = a.groupInstanceId ?? a.memberId;
  const kb = b.groupInstanceId ?? b.memberId;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

export const rangeAssignor: Assignor = {
  name: "range",
  protocol: "eager",
  assign(members, partitionCounts) {
    const out = emptyAssignment(members);
    const topics = new Set(members.flatMap((m) => m.topics));
    for (const topic of [...topics].sort()) {
      const n = partitionCounts.get(topic);
      if (n === undefined) continue;
      const subs = members.filter((m) => m.topics.includes(topic)).sort(byMemberKey);
      const per = Math.floor(n / subs.length);
      const extra = n % subs.length;
      let next = 0;
      subs.forEach((m, i) => {
        const take = per + (i < extra ? 1 : 0);
        for (let k = 0; k < take; k++) add(out, m.memberId, topic, next++);
      });
    }
    return out;
  },
};

export const cooperativeStickyAssignor: Assignor = {
  name: "cooperative-sticky",
  protocol: "cooperative",
  assign(members, partitionCounts) {
    const sorted = [...members].sort(byMemberKey);
    const all: [string, number][] = [];
    for (const topic of [...new Set(members.flatMap((m) => m.topics))].sort()) {
      const n = partitionCounts.get(topic) ?? 0;
      for (let p = 0; p < n; p++) all.push([topic, p]);
    }
    const key = (t: string, p: number): string => `${t}\0${p}`;
    const previousOwner = new Map<string, string>();
    const holding = new Map<string, [string, number][]>();
    for (const m of sorted) holding.set(m.memberId, []);
    // Keep owned partitions that are still valid and unclaimed.
    for (const m of sorted) {
      for (const tp of m.ownedPartitions) {
        if (!m.topics.includes(tp.topic)) continue;
        const n = partitionCounts.get(tp.topic) ?? 0;
        for (const p of tp.partitions) {
          const k = key(tp.topic, p);
          if (p >= n || previousOwner.has(k)) continue;
          previousOwner.set(k, m.memberId);
          holding.get(m.memberId)!.push([tp.topic, p]);
        }
      }
    }
    // Balance: members over their quota give up their excess.
    const eligible = (m: MemberSubscription, topic: string): boolean => m.topics.includes(topic);
    const total = all.filter(([t]) => sorted.some((m) => eligible(m, t))).length;
    const base = Math.floor(total / Math.max(1, sorted.length));
    let withExtra = total - base * sorted.length;
    const assigned = new Set<string>();
    const byCount = [...sorted].sort((a, b) => holding.get(b.memberId)!.length - holding.get(a.memberId)!.length);
    for (const m of byCount) {
      const h = holding.get(m.memberId)!;
      let quota = base;
      if (withExtra > 0 && h.length > base) {
        quota = base + 1;
        withExtra--;
      }
      h.splice(quota);
      for (const [t, p] of h) assigned.add(key(t, p));
    }
    // Hand out the rest to the least loaded eligible member.
    for (const [t, p] of all) {
      if (assigned.has(key(t, p))) continue;
      let best: MemberSubscription | undefined;
      for (const m of sorted) {
        if (!eligible(m, t)) continue;
        if (best === undefined || holding.get(m.memberId)!.length < holding.get(best.memberId)!.length) best = m;
      }
      if (best === undefined) continue;
      holding.get(best.memberId)!.push([t, p]);
      assigned.add(key(t, p));
    }
    // Cooperative step: a partition moving away from a live owner is withheld this round.
    const out = emptyAssignment(members);
    for (const m of sorted) {
      for (const [t, p] of holding.get(m.memberId)!) {
        const prev = previousOwner.get(key(t, p));
        if (prev !== undefined && prev !== m.memberId) continue;
        add(out, m.memberId, t, p);
      }
    }
    for (const m of out.values()) for (const ps of m.values()) ps.sort((a, b) => a - b);
    return out;
  },
};

export const ASSIGNORS: Readonly<Record<string, Assignor>> = {
  range: rangeAssignor,
  "cooperative-sticky": cooperativeStickyAssignor,
};
