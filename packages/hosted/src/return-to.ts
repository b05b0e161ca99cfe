// Where to send the browser after a hosted sign-in, sign-up or journey: the `return_to` parameter, only when it
// surely stays on Keyway's own origin. Every hosted page and the journey runner decide it here, and nowhere else.

/** Longer than any page of ours needs; a longer value is refused rather than parsed. */
const MAX_RETURN_TO_LENGTH = 2048;

/**
 * Printable ASCII only. Refuses what browsers strip or reinterpret while parsing (tab, CR, LF and other controls are
 * removed by the WHATWG URL parser, so `/\t/evil` becomes `//evil`), spaces, and every non-ASCII character (full-width
 * or ideographic dots and slashes, IDN look-alikes): a path of ours never needs them.
 */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Percent-encoded slashes, backslashes, dots and controls: a server or browser that decodes once more turns them
 * into the characters refused above (`/%2f%2fevil`, `/%5cevil`, `/%2e%2e//evil`, `%09`).
 */
const ENCODED_SEPARATOR = /%(?:2f|5c|2e|[01][0-9a-f]|7f)/i;

/**
 * The absolute URL to go to for `value`, or undefined (the caller's default page) unless it is a path on `origin`.
 * Same-origin is decided on the fully resolved URL (WHATWG URL, RFC 3986 §5.2: dot segments removed), not on the
 * text: `/.//evil`, `/a/..//evil` and `/%2e%2e//evil` resolve to a path starting `//`, which navigating to as a path
 * would read as another host (a network-path reference, RFC 3986 §4.2). Backslashes are refused too (the URL parser
 * reads `\` as `/` in http(s) URLs), as is anything with userinfo. The answer is absolute, so the browser never
 * re-resolves it.
 */
export function safeReturnTo(value: string | null | undefined, origin: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!PRINTABLE_ASCII.test(value) || value.includes('\\') || ENCODED_SEPARATOR.test(value)) return undefined;
  // A path-absolute reference only: no scheme (`javascript:`, `data:`, `https:evil`), no `//host`.
  if (!value.startsWith('/') || value.startsWith('//')) return undefined;
  let base: URL;
  let resolved: URL;
  try {
    base = new URL(origin);
    resolved = new URL(value, base);
  } catch {
    return undefined;
  }
  if (resolved.origin !== base.origin || resolved.username !== '' || resolved.password !== '') return undefined;
  // After dot-segment removal the path must still be one path: an empty segment (`//`) anywhere is refused.
  if (resolved.pathname.includes('//')) return undefined;
  return resolved.href;
}

/** The hosts plain `http` is allowed for (as for KEYWAY_PUBLIC_URL): a browser treats them as secure contexts. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A store's application URL (where its users go after a hosted sign-in or journey when there is no `return_to`), or
 * undefined when it is not acceptable. Checked as `return_to` is — printable ASCII, no backslash, no encoded separator,
 * no userinfo, at most 2048 characters — but it may leave Keyway's origin: an `https` URL (plain `http` only for
 * localhost), or a path on `origin`. The answer is the absolute URL.
 */
export function safeApplicationUrl(value: string | null | undefined, origin: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.startsWith('/')) return safeReturnTo(value, origin);
  if (value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!PRINTABLE_ASCII.test(value) || value.includes('\\') || ENCODED_SEPARATOR.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure || url.username !== '' || url.password !== '' || url.pathname.includes('//')) return undefined;
  return url.href;
}
