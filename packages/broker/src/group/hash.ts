// Which __consumer_offsets partition owns a group. Must match Kafka's
// `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions` so that tools agree.

/** Java's String.hashCode over UTF-16 code units (s[0]*31^(n-1) + ... + s[n-1]) as int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: `n & 0x7fffffff` (so Integer.MIN_VALUE maps to 0, not to itself). */
export function kafkaAbs(n: number): number {
  return n & 0x7fffffff;
}

export function partitionForGroup(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
