/**
 * The security headers of every HTML page Keyway serves (hosted self-service pages, the journey
 * runner, the API docs) and of their assets: one set, so a hardening applies to all of them. Only
 * the Content-Security-Policy is the caller's, since pages differ in what they load or frame.
 */
const PAGE_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  // Legacy twin of CSP frame-ancestors 'none' for browsers without CSP level 2.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'publickey-credentials-get=(self), publickey-credentials-create=(self)',
} as const;

export function pageSecurityHeaders(csp: string): Record<string, string> {
  return { 'content-security-policy': csp, ...PAGE_SECURITY_HEADERS };
}
