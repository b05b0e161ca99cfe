/**
 * The identifier rule: how Keyway compares the names users and callers give accounts (a user's `userKey`, the
 * self-service sign-in identifier) and e-mail addresses.
 *
 * Comparison form, after the case-mapped username profile of RFC 8265 §3.3 with the wider width mapping of NFKC:
 *   1. Unicode NFKC (full-width and other compatibility forms become their ordinary characters: `ｂｏｂ` → `bob`);
 *   2. leading and trailing white space removed;
 *   3. Unicode toLowerCase, locale-independent (RFC 8265 §3.3.2 step 3: `BOB` → `bob`);
 *   4. NFKC again, since lower-casing can leave a string unnormalised.
 * Refused outright (rather than silently dropped, so that two spellings never look alike yet differ): controls,
 * unpaired surrogates, unassigned code points, line and paragraph separators, and default-ignorable code points —
 * zero-width characters (U+200B–U+200D, U+2060, U+FEFF), bidirectional controls (U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069, U+061C), variation selectors and the soft hyphen (RFC 8264 §9.13, §9.8).
 * The value as given stays the displayed `userKey`; uniqueness and every look-up use the comparison form.
 */
const REFUSED = /[\p{Cc}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

export const IDENTIFIER_MESSAGE = 'must not contain control, zero-width, bidirectional-control or unassigned characters, nor be only spaces';

/** The comparison form of an identifier, or undefined when the identifier is refused. */
export function normaliseIdentifier(value: string): string | undefined {
  if (REFUSED.test(value)) return undefined;
  const normalised = value.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
  if (normalised.length === 0 || REFUSED.test(normalised)) return undefined;
  return normalised;
}

/** The Ajv format `identifier`: a string the identifier rule accepts. */
export function isIdentifier(value: string): boolean {
  return normaliseIdentifier(value) !== undefined;
}
