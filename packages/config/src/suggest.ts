import leven from 'leven';

/** Compares names regardless of case and separators, so `data_dir`, `DATA-DIR` and `dataDir` are one name. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * The known name a user most likely meant, or `undefined` when none is
 * close. Close means: the same name in another case or spelling
 * (`data_dir` for `dataDir`), a few typos (a third of the length), or the
 * last part of a longer name (`TICK_MS` for `TIMING_TICK_MS`).
 */
export function closestName(given: string, known: readonly string[]): string | undefined {
  const target = normalize(given);
  if (target === '') return undefined;
  const budget = Math.max(1, Math.floor(target.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = leven(target, normalize(name), { maxDistance: budget + 1 });
    if (distance <= budget && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  if (best) return best.name;
  if (target.length < 4) return undefined;
  return known.find((name) => normalize(name).endsWith(target));
}
