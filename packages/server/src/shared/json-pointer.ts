/** One reference token of a JSON Pointer (RFC 6901 §4): `~` as `~0`, `/` as `~1`. */
export function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}
