import type { PageData } from './page-service.ts';

/**
 * How a custom page is served inside a journey. The page is admin-supplied HTML, so the browser
 * confines it: the CSP `sandbox` directive gives it an opaque origin (no cookies, no storage, no
 * access to the runner page) even if it is opened outside the iframe, and `default-src 'none'`
 * with `connect-src 'none'` and `form-action 'none'` leaves it no network: its only way out is the
 * postMessage bridge to the runner page that framed it (`frame-ancestors 'self'`).
 * Inline scripts and styles are allowed (that is what the page is made of); external ones are not.
 * The console's preview of a page (console/page-preview-routes.ts) is the same confinement with no script and no form:
 * it shows the page as its styles draw it, and nothing on it acts.
 */
function pagePolicy(live: boolean): string {
  return [
    live ? 'sandbox allow-scripts allow-forms' : 'sandbox',
    "default-src 'none'",
    live ? "script-src 'unsafe-inline'" : "script-src 'none'",
    "style-src 'unsafe-inline'",
    'img-src data:',
    'font-src data:',
    'media-src data:',
    "connect-src 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}

export const PAGE_CSP = pagePolicy(true);
export const PAGE_PREVIEW_CSP = pagePolicy(false);

export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': PAGE_CSP,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  // WebAuthn runs in the runner page (the RP's origin), never in the sandboxed page.
  'permissions-policy': 'publickey-credentials-create=(), publickey-credentials-get=(), camera=(), microphone=(), geolocation=(), payment=()',
};

/**
 * The bridge, run before the page's own scripts. `window.keyway` offers the step's session data and
 * constants, `submit(data)` / `cancel()` (once), and `createCredential(options)` /
 * `getCredential(options)`, which ask the runner page to run the passkey ceremony of the journey
 * those options name (without options: its only one of the kind) and resolve with the credential's
 * JSON, or reject with the browser's error name (e.g. NotAllowedError), or with SecurityError and
 * `code` ERR_PAGE_CEREMONY_REFUSED for options of no ceremony the journey started (nothing ran;
 * @keyway/web page-ceremony.ts says why). A form the page does not handle itself is submitted as
 * its fields, so plain HTML forms work unchanged.
 */
const BRIDGE = `(() => {
  'use strict';
  const data = JSON.parse(document.getElementById('keyway-page-data').textContent);
  const parentOrigin = new URL(location.href).origin;
  const pending = new Map();
  let sequence = 0;
  let done = false;
  const post = (message) => window.parent.postMessage(Object.assign({ keyway: 1 }, message), parentOrigin);
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || event.origin !== parentOrigin) return;
    const m = event.data;
    if (!m || m.keyway !== 1 || !pending.has(m.id)) return;
    const waiting = pending.get(m.id);
    pending.delete(m.id);
    if (m.type === 'keyway:webauthn:result') waiting.resolve(m.credential);
    else {
      const error = new Error(String(m.message || 'WebAuthn failed'));
      error.name = String(m.name || 'NotAllowedError');
      if (typeof m.code === 'string') error.code = m.code;
      waiting.reject(error);
    }
  });
  const ask = (type, options) => new Promise((resolve, reject) => { const id = ++sequence; pending.set(id, { resolve, reject }); post({ type, id, options }); });
  const finish = (message) => { if (done) return false; done = true; post(message); return true; };
  window.keyway = Object.freeze({
    sessionData: data.sessionData,
    constants: data.constants,
    submit: (result) => finish({ type: 'keyway:submit', data: result === undefined ? {} : result }),
    cancel: () => finish({ type: 'keyway:cancel' }),
    createCredential: (options) => ask('keyway:webauthn:create', options),
    getCredential: (options) => ask('keyway:webauthn:get', options),
  });
  window.addEventListener('submit', (event) => {
    if (event.defaultPrevented || !(event.target instanceof HTMLFormElement)) return;
    event.preventDefault();
    const fields = {};
    for (const [key, value] of new FormData(event.target)) if (typeof value === 'string') fields[key] = value;
    window.keyway.submit(fields);
  });
  post({ type: 'keyway:ready' });
})();`;

/** JSON that can sit inside a <script> element: `<` is escaped so no `</script>` can end it early. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page with the step's data and the bridge inserted first thing in <head> (or wherever the document starts). */
export function renderPage(html: string, data: PageData): string {
  const injected = `<script type="application/json" id="keyway-page-data">${scriptSafeJson(data)}</script><script>${BRIDGE}</script>`;
  for (const opening of [/<head(?:\s[^>]*)?>/i, /<html(?:\s[^>]*)?>/i, /<!doctype[^>]*>/i]) {
    const match = opening.exec(html);
    if (match) {
      const at = match.index + match[0].length;
      return html.slice(0, at) + injected + html.slice(at);
    }
  }
  return injected + html;
}

/**
 * URLs of scripts, stylesheets, images and frames the page loads from elsewhere, which its CSP
 * blocks (reported as warnings when the page is validated; `data:` URLs are fine).
 */
export function blockedResources(html: string): string[] {
  const found = new Set<string>();
  const pattern = /<(?:script|link|img|iframe|audio|video|source|embed|object)\b[^>]*?\s(?:src|href|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;
  for (const match of html.matchAll(pattern)) {
    const url = (match[1] ?? match[2] ?? match[3] ?? '').trim();
    if (url !== '' && !url.toLowerCase().startsWith('data:') && !url.startsWith('#')) found.add(url);
  }
  return [...found];
}
