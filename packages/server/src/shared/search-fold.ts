/**
 * The search fold: the form in which stored text and the words of a search are compared, so a search is insensitive
 * to letter case, width, compatibility forms and accents in every script, on every database.
 *
 * It is done here, in JavaScript, and never with SQL `lower()`: that lower-cases ASCII only on SQLite and on PostgreSQL
 * with a C ctype (`É`, `Ä`, `Ｅ` stay as they are), and follows the database's locale otherwise, so the same search
 * would find different users on different installations. The text a search looks in is stored folded (e.g.
 * `users.search_text`, migration 038) and each word of the search is folded by this same function; the database only
 * compares the two (LIKE over already-folded text). Changing the fold changes what is stored: it needs a migration
 * that folds the stored text again.
 *
 * The fold, applied alike to both sides (so it can only make more things match, never fewer):
 *   1. Unicode NFKC: compatibility forms become their ordinary characters (`ＥＭＩＬＥ` → `EMILE`, `ﬁ` → `fi`, `Ⅻ` → `XII`);
 *   2. Unicode toLowerCase, locale-independent (the Turkish dotless ı stays its own letter);
 *   3. the two lower-case letters full case folding (Unicode CaseFolding.txt) treats further: `ß` → `ss` (so `Straße`,
 *      `STRASSE` and `strasse` meet; `ẞ` lower-cases to `ß` first) and the final sigma `ς` → `σ` (toLowerCase writes
 *      `ς` at the end of a word, so `ΟΔΥΣΣΕΥΣ` and a search `οδυσσευσ` meet);
 *   4. accents dropped: canonical decomposition (NFD) and every nonspacing mark (\p{Mn}) removed, so `Émile`, `émile`,
 *      `EMILE` and `emile` all fold to `emile`, `Ärger` to `arger`, `Łódź` to `łodz` (ł is a letter of its own, not an
 *      accented l). In scripts whose nonspacing marks are part of the spelling (Indic vowel signs and virama, Thai
 *      vowels, Hebrew and Arabic points) this makes a search looser: it finds more, never less;
 *   5. invisible default-ignorable characters removed (soft hyphen, zero-width space and joiners, variation selectors);
 *   6. NFC, which recomposes what step 4 left decomposed without marks (Hangul syllables).
 * White space is kept (a search splits its words on it), so a folded word never spans two words of the stored text.
 */
export function foldForSearch(text: string): string {
  // Most stored text (keys, e-mail addresses, external ids) is ASCII, whose fold is its lower case: the bench's
  // million-row seed and the backfill take this path.
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  // Steps 1–3: compatibility forms, lower case, ß and ς as full case folding has them.
  const lower = text.normalize('NFKC').toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ');
  // Steps 4–6: accents and invisible characters dropped, then what is left recomposed.
  return lower.normalize('NFD').replace(IGNORED, '').normalize('NFC');
}

/** Any UTF-16 code unit beyond ASCII (surrogates included). */
const NON_ASCII = /[\u0080-\uffff]/;
const IGNORED = /[\p{Mn}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * The stored text a search looks in: each value given, folded, one per line (null ones left out). A search word holds
 * no white space, so it is found within one value, never across two.
 */
export function searchText(values: readonly (string | null)[]): string {
  return values
    .filter((value) => value !== null)
    .map(foldForSearch)
    .join('\n');
}

/** The words of a search, folded (foldForSearch), at most `max` of them: split on white space after folding. */
export function searchWords(q: string | undefined, max: number): string[] {
  return foldForSearch(q ?? '')
    .split(/\s+/)
    .filter((word) => word !== '')
    .slice(0, max);
}
