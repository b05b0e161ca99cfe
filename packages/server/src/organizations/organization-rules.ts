import { domainToASCII } from 'node:url';
import { validationError } from '../errors/keyway-error.ts';
import { IDENTIFIER_MESSAGE, normaliseIdentifier } from '../shared/identifier.ts';

/**
 * How organizations' names, roles and e-mail domains are checked and compared. A name is shown as given (NFC,
 * trimmed) and compared in the identifier rule's form (shared/identifier.ts), so two organizations of a store
 * never differ only by case or width. A domain is kept in its lower-case IDNA A-label form (UTS #46 via
 * node:url's domainToASCII), the form DNS and e-mail addresses compare.
 */

/** The displayed form and the comparison form of an organization's name; refused names are a 400 on `field`. */
export function organizationName(value: string, field = 'name'): { name: string; key: string } {
  const key = normaliseIdentifier(value);
  if (key === undefined) throw validationError(field, IDENTIFIER_MESSAGE);
  return { name: value.normalize('NFC').trim(), key };
}

/** A role name: letters, digits and `_ . : -`, as permission-like strings are written. */
export const ROLE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$';

/** The roles as given, without repeats, in the order given. */
export function distinctRoles(roles: readonly string[]): string[] {
  return [...new Set(roles)];
}

/** A DNS label (RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1), in A-label form. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The lower-case A-label form of an e-mail domain (`Bücher.Example` → `xn--bcher-kva.example`), or a 400 on
 * `field`: not a domain, a single label, an address literal, or longer than DNS allows (RFC 1035 §2.3.4).
 */
export function normaliseDomain(value: string, field = 'domain'): string {
  const trimmed = value.trim().replace(/\.$/, '');
  const ascii = domainToASCII(trimmed).toLowerCase();
  const labels = ascii.split('.');
  if (ascii === '' || ascii.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label)) || /^[0-9]+$/.test(labels.at(-1)!))
    throw validationError(field, 'must be a domain name such as example.com (an internationalised name is accepted and stored in its xn-- form)');
  return ascii;
}
