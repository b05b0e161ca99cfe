/**
 * Text that is shown as one line of someone's name or label — in the console, an e-mail, an authenticator's account
 * picker: no line breaks or tabs, no other controls, and none of the explicit bidirectional formatting characters of
 * UAX #9 §2.1–2.2, embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069). Those reorder the text
 * around them wherever it is shown — "Ada\u202Eninmda" reads as "Adaadmin" (CVE-2021-42574, "Trojan Source"). The
 * implicit marks (LRM U+200E, RLM U+200F, ALM U+061C) stay allowed: they fix the direction of neighbouring neutrals
 * in mixed-script names and reorder nothing beyond them.
 */
export const LINE_BREAK_OR_TAB = /[\t\n\r]/;
export const BIDI_EMBEDDING_OVERRIDE_ISOLATE = /[\u202A-\u202E\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- the point of this pattern is to match control characters
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

export const ONE_LINE_TEXT_MESSAGE = 'must be one line without control or bidirectional embedding, override or isolate characters';

export function isOneLineText(text: string): boolean {
  return !CONTROL.test(text) && !BIDI_EMBEDDING_OVERRIDE_ISOLATE.test(text);
}
