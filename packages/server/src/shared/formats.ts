/**
 * Semantic string formats used by request schemas, checked against ICU data that ships with Node
 * (TZDB, ISO 639, ISO 3166), not against hand-kept lists.
 */
import { fullFormats } from 'ajv-formats/dist/formats.js';

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/**
 * The schemas' `email` format (ajv-formats, full mode) with their 254-character limit, for a value that reaches an
 * address check other than through a schema (a sign-up identifier that must be an address).
 */
export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && (fullFormats.email as RegExp).test(value);
}

/** A TZDB zone name (`Europe/Berlin`, `EST`); numeric offsets such as `+01:00` are not names. */
export function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{1,63}$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An ISO 639-1 two-letter language code known to ICU (`en`, `de`). */
export function isLanguage(value: string): boolean {
  return /^[a-z]{2}$/.test(value) && languageNames.of(value) !== undefined;
}

/** An ISO 3166-1 alpha-2 country code known to ICU (`IE`, `DE`). */
export function isCountry(value: string): boolean {
  return /^[A-Z]{2}$/.test(value) && regionNames.of(value) !== undefined;
}

/**
 * A locale variant as TrustX Add User defines it (BCP 47 variant subtags): subtags of 5–8 letters or
 * digits, or 4 characters starting with a digit, separated by hyphens (`polyton`, `1996-fonipa`).
 */
export function isLocaleVariant(value: string): boolean {
  return value.length <= 64 && /^(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3})(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$/.test(value);
}

import { IDENTIFIER_MESSAGE } from './identifier.ts';

/** Human messages for format failures, so a 400 says what is expected rather than a format name. */
export const FORMAT_MESSAGES: Record<string, string> = {
  date: 'must be a real calendar date in yyyy-mm-dd format',
  'date-time': 'must be an RFC 3339 date-time',
  email: 'must be an e-mail address such as name@example.com',
  uri: 'must be an absolute URI',
  timezone: 'must be a TZDB time zone name such as Europe/Berlin or EST',
  language: 'must be a two-letter ISO 639-1 language code such as en',
  country: 'must be a two-letter ISO 3166-1 country code such as IE',
  identifier: IDENTIFIER_MESSAGE,
  'locale-variant': 'must be variant subtags of 5-8 letters or digits, or 4 characters starting with a digit, separated by hyphens',
};
