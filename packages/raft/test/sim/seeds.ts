/** Seeds to run: RAFT_SEED=n replays one seed; otherwise 1..count (count from `envVar`). */
export function seeds(envVar: string, defaultCount: number, defaultBase = 1): number[] {
  const one = process.env.RAFT_SEED;
  if (one !== undefined && one !== "") return [Number(one)];
  const n = Number(process.env[envVar] ?? defaultCount);
  const base = Number(process.env.RAFT_SEED_BASE ?? defaultBase);
  return Array.from({ length: n }, (_, i) => base + i);
}
