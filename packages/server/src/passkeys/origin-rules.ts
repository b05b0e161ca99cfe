import { createRequire } from 'node:module';
import type { parse } from 'tldts';

/**
 * What a relying party's RP ID and origins may be. Each check answers a
 * human sentence saying what is wrong, or `undefined` when the value is acceptable; the service
 * turns them into field-level VALIDATION_FAILED problems.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** `android:apk-key-hash:` + base64url (no padding) of the SHA-256 of the app's signing certificate. */
const ANDROID_ORIGIN = /^android:apk-key-hash:[A-Za-z0-9_-]{43}$/;

/**
 * tldts (the Public Suffix List, about 1.5 MB in memory) is required on the first RP ID check: only creating or
 * changing a relying party needs it, so a process that serves sign-ins never loads it.
 */
let parseDomain: typeof parse | undefined;
const publicSuffixParser = () => (parseDomain ??= (createRequire(import.meta.url)('tldts') as { parse: typeof parse }).parse);

/** Whether `host` is `localhost` or a name under it, which browsers treat as a secure context over http. */
function isLocalhost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

export function isAndroidOrigin(origin: string): boolean {
  return origin.startsWith('android:');
}

/**
 * WebAuthn §5.1.1 / §13.4.9: an RP ID is a valid domain that is a registrable domain suffix of
 * the origin's effective domain. It cannot be an IP address or a public suffix (`com`, `co.uk`,
 * `github.io`: the full Public Suffix List, private section included, as browsers use it).
 */
export function rpIdProblem(rpId: string): string | undefined {
  if (rpId.includes('://') || rpId.includes('/') || rpId.includes(':')) return 'must be a domain name such as example.com, without scheme, port or path';
  if (rpId !== rpId.toLowerCase()) return `must be lower-case (${rpId.toLowerCase()})`;
  if (rpId.length > 253) return 'must be at most 253 characters';
  if (/^[0-9.]+$/.test(rpId) || rpId.startsWith('[')) return 'must be a domain name; an IP address cannot be an RP ID';
  const labels = rpId.split('.');
  if (labels.some((label) => !LABEL.test(label))) {
    return 'must be a domain name: dot-separated labels of 1-63 letters, digits and inner hyphens (internationalised names in their xn-- form)';
  }
  if (rpId === 'localhost') return undefined;
  const parsed = publicSuffixParser()(rpId, { allowPrivateDomains: true });
  if (parsed.isIp) return 'must be a domain name; an IP address cannot be an RP ID';
  if (parsed.domain === null) return `is a public suffix, which cannot be an RP ID; use a domain registered under it (such as example.${rpId})`;
  return undefined;
}

/**
 * A web origin as a browser serialises it in clientDataJSON.origin (HTML §7.5 "ASCII
 * serialization of an origin"): `https://host[:port]`, lower-case, no path, query, fragment or
 * trailing slash; `http` only for localhost, the one insecure host browsers allow WebAuthn on.
 */
export function webOriginProblem(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as https://login.example.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https:// origin (or http://localhost)';
  if (url.protocol === 'http:' && !isLocalhost(url.hostname)) return 'must use https://; http:// is allowed only for localhost';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || origin.endsWith('/')) {
    return `must be an origin without path, query, fragment or trailing slash (${url.origin})`;
  }
  if (origin !== url.origin) return `must be written as the browser serialises it: ${url.origin}`;
  if (/^[0-9.]+$/.test(url.hostname) || url.hostname.startsWith('[')) return 'must have a domain name host; browsers do not run WebAuthn on IP addresses';
  return undefined;
}

/** An origin the RP accepts: a web origin, or an Android app's `android:apk-key-hash:…` origin. */
export function originSyntaxProblem(origin: string): string | undefined {
  if (isAndroidOrigin(origin)) {
    return ANDROID_ORIGIN.test(origin)
      ? undefined
      : 'must be android:apk-key-hash: followed by the base64url SHA-256 of the signing certificate (43 characters)';
  }
  return webOriginProblem(origin);
}

/**
 * WebAuthn §7.1 step 9 / §7.2 step 13: the server accepts an origin only if it is the RP ID's own
 * site or a subdomain of it, unless the RP declares it as a related origin (§5.11).
 */
export function originScopeProblem(origin: string, rpId: string, relatedOrigins: readonly string[]): string | undefined {
  if (isAndroidOrigin(origin) || relatedOrigins.includes(origin)) return undefined;
  const host = new URL(origin).hostname;
  if (host === rpId || host.endsWith(`.${rpId}`)) return undefined;
  return `its host ${host} is neither the RP ID ${rpId} nor a subdomain of it; declare it in relatedOrigins to use it with this RP ID`;
}

/** The web origins of a list (Android app origins left out), e.g. for /.well-known/webauthn. */
export function webOrigins(origins: readonly string[]): string[] {
  return origins.filter((origin) => !isAndroidOrigin(origin));
}
