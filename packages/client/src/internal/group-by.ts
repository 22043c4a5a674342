// Requests are laid out per topic (and per leader): one grouping helper instead of a loop per request.

/** `items` grouped by `keyOf`, each group in input order, groups in first-seen order. */
export function groupBy<K, T>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
