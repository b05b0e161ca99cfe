import { closest, distance } from 'fastest-levenshtein';

/**
 * The known name closest to a mistyped one, when it is close enough to be what was meant: at most
 * a third of the name's length in single-character edits (at least one), so `serv` finds `serve`
 * but `deploy` finds nothing. Case is ignored (`KEYWAY_Port` → `PORT`).
 */
export function didYouMean(input: string, known: readonly string[]): string | undefined {
  if (known.length === 0 || input === '') return undefined;
  const lower = known.map((name) => name.toLowerCase());
  const best = closest(input.toLowerCase(), lower);
  const budget = Math.max(1, Math.floor(input.length / 3));
  return distance(input.toLowerCase(), best) <= budget ? known[lower.indexOf(best)] : undefined;
}

/** ` (did you mean X?)`, or nothing: appended to an "unknown …" message. */
export function didYouMeanSuffix(input: string, known: readonly string[]): string {
  const suggestion = didYouMean(input, known);
  return suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
}
