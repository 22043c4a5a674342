// The fault suite's checker (issue 15, "Proof"): compares what the producer was told (each
// acknowledged value's partition and offset) with what a fresh consumer reads from the start of
// every partition once every fault has healed. Pure: no I/O, so its verdicts are unit-tested.
//   lost        acknowledged, never read — the promise of acks=all + min.insync.replicas is broken;
//   duplicated  read more than once (each extra copy counts) — idempotence is broken;
//   reordered   read, but at another partition or offset than the acknowledgement said;
//   unexpected  read, but never sent by the producer (corruption, or another writer).
// Values sent but never acknowledged may or may not be in the log (Kafka promises nothing about
// them); they are counted as `indeterminateRead` / `indeterminateMissing`, never as errors.

export interface Ack {
  value: string;
  partition: number;
  /** -1: the broker answered that it had the batch already (a retry), without its offset. */
  offset: number;
}

export interface ReadRecord {
  value: string;
  partition: number;
  offset: number;
}

export interface CheckResult {
  attempted: number;
  acked: number;
  read: number;
  lost: number;
  duplicated: number;
  reordered: number;
  unexpected: number;
  /** Sent, not acknowledged, found in the log. */
  indeterminateRead: number;
  /** Sent, not acknowledged, not in the log. */
  indeterminateMissing: number;
  /** Up to `maxExamples` examples of each error kind, for the failure message. */
  examples: { lost: Ack[]; duplicated: ReadRecord[]; reordered: string[]; unexpected: ReadRecord[] };
}

const MAX_EXAMPLES = 5;

function push<T>(list: T[], item: T): void {
  if (list.length < MAX_EXAMPLES) list.push(item);
}

export function check(attempted: ReadonlySet<string>, acks: readonly Ack[], read: readonly ReadRecord[]): CheckResult {
  const examples: CheckResult["examples"] = { lost: [], duplicated: [], reordered: [], unexpected: [] };
  const seen = new Map<string, ReadRecord>();
  let duplicated = 0;
  let unexpected = 0;
  for (const r of read) {
    if (!attempted.has(r.value)) {
      unexpected++;
      push(examples.unexpected, r);
    }
    if (seen.has(r.value)) {
      duplicated++;
      push(examples.duplicated, r);
    } else seen.set(r.value, r);
  }
  let lost = 0;
  let reordered = 0;
  const ackedValues = new Set<string>();
  for (const a of acks) {
    ackedValues.add(a.value);
    const r = seen.get(a.value);
    if (r === undefined) {
      lost++;
      push(examples.lost, a);
    } else if (r.partition !== a.partition || (a.offset >= 0 && r.offset !== a.offset)) {
      reordered++;
      push(examples.reordered, `${a.value}: acked at ${a.partition}@${a.offset}, read at ${r.partition}@${r.offset}`);
    }
  }
  let indeterminateRead = 0;
  for (const value of attempted) if (!ackedValues.has(value) && seen.has(value)) indeterminateRead++;
  return {
    attempted: attempted.size,
    acked: ackedValues.size,
    read: read.length,
    lost,
    duplicated,
    reordered,
    unexpected,
    indeterminateRead,
    indeterminateMissing: attempted.size - ackedValues.size - indeterminateRead,
    examples,
  };
}

/** One line naming every error found, with examples; "" when the run is clean. */
export function describeErrors(result: CheckResult): string {
  const parts: string[] = [];
  const { examples: e } = result;
  if (result.lost > 0)
    parts.push(`${result.lost} lost (e.g. ${e.lost.map((a) => `${a.value}@${a.partition}:${a.offset}`).join(", ")})`);
  if (result.duplicated > 0)
    parts.push(
      `${result.duplicated} duplicated (e.g. ${e.duplicated.map((r) => `${r.value}@${r.partition}:${r.offset}`).join(", ")})`,
    );
  if (result.reordered > 0) parts.push(`${result.reordered} reordered (e.g. ${e.reordered.join("; ")})`);
  if (result.unexpected > 0)
    parts.push(
      `${result.unexpected} unexpected (e.g. ${e.unexpected.map((r) => `${r.value}@${r.partition}:${r.offset}`).join(", ")})`,
    );
  return parts.join("; ");
}
