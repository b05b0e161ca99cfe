// The pages the OpenID Provider shows itself, in the hosted pages' frame (shell-kit.ts), language and branding: a
// third-party client's consent screen, the RP-initiated logout confirmation, the signed-out page, and an error that
// must not be redirected to the client (an unknown client or redirect URI, RFC 6749 §4.1.2.1). No script.
import { format } from './format.ts';
import { MESSAGES, type Language, type MessageKey } from './messages.ts';
import { escapeHtml, renderHostedDocument, type HostedBranding } from './shell-kit.ts';

export type OidcPage =
  | { kind: 'consent'; clientName: string; scopes: readonly string[]; allowAction: string; denyAction: string }
  /** `form` is the provider's own hidden form (its id `op.logoutForm`, with the xsrf token); the buttons submit it. */
  | { kind: 'logout'; form: string }
  | { kind: 'signedOut' }
  /**
   * `reason` is a sentence for the user; `error` and `description` are the protocol's (English, for the application's
   * developers), shown beneath it.
   */
  | { kind: 'error'; reason: OidcErrorReason; error: string; description?: string | undefined };

export type OidcErrorReason = 'request' | 'expired' | 'notThisPage' | 'journeyPending' | 'tooManyRequests';

export interface OidcPageInput {
  lang: Language;
  /** The current path and query without `lang`, for the language links. */
  path: string;
  stylesheet: string;
  /** The store's name (or its branding's product name); Keyway's when the page belongs to no known client. */
  serviceName: string;
  branding?: HostedBranding | undefined;
  page: OidcPage;
}

export function renderOidcPage(input: OidcPageInput): string {
  const m = MESSAGES[input.lang];
  const t = (key: MessageKey, values?: Record<string, string>) => escapeHtml(format(m[key], values));
  const { titleKey, main } = content(input.page, t, (key): key is MessageKey => key in m);
  return renderHostedDocument({
    lang: input.lang,
    title: m[titleKey],
    serviceName: input.serviceName,
    path: input.path,
    assets: { stylesheets: [input.stylesheet], preload: [] },
    dataId: 'keyway-oidc',
    data: {},
    main,
    branding: input.branding,
  });
}

function content(
  page: OidcPage,
  t: (key: MessageKey, values?: Record<string, string>) => string,
  known: (key: string) => key is MessageKey,
): { titleKey: MessageKey; main: string } {
  switch (page.kind) {
    case 'consent': {
      const client = { client: page.clientName };
      // A scope without a sentence of its own is shown by name (the provider only asks for registered ones).
      const items = page.scopes.map((scope) => {
        const key = `oidc.scope.${scope}`;
        return `<li>${known(key) ? t(key) : escapeHtml(scope)}</li>`;
      });
      return {
        titleKey: 'oidc.consent.windowTitle',
        main: `<h1>${t('oidc.consent.title', client)}</h1>
<p class="lead">${t('oidc.consent.lead', client)}</p>
<ul class="consent-scopes">${items.join('')}</ul>
<div class="choice">
<form method="post" action="${escapeHtml(page.allowAction)}"><button type="submit" class="primary">${t('oidc.consent.allow')}</button></form>
<form method="post" action="${escapeHtml(page.denyAction)}"><button type="submit" class="outline">${t('oidc.consent.deny')}</button></form>
</div>`,
      };
    }
    case 'logout':
      return {
        titleKey: 'oidc.logout.title',
        main: `<h1>${t('oidc.logout.title')}</h1>
<p class="lead">${t('oidc.logout.lead')}</p>
${page.form}
<div class="choice">
<button type="submit" form="op.logoutForm" name="logout" value="yes" class="primary">${t('oidc.logout.confirm')}</button>
<button type="submit" form="op.logoutForm" class="outline">${t('oidc.logout.stay')}</button>
</div>`,
      };
    case 'signedOut':
      return {
        titleKey: 'oidc.signedOut.title',
        main: `<h1>${t('oidc.signedOut.title')}</h1>
<p class="lead">${t('oidc.signedOut.lead')}</p>`,
      };
    case 'error': {
      const description = page.description ? `<p id="error-description" lang="en">${escapeHtml(page.description)}</p>` : '';
      return {
        titleKey: 'oidc.error.title',
        main: `<h1>${t('oidc.error.title')}</h1>
<p class="lead" id="error-reason">${t(`oidc.error.${page.reason}`)}</p>
<div class="aside"><p>${t('oidc.error.details')}</p>
<p><code id="error-code" data-error="${escapeHtml(page.error)}">${escapeHtml(page.error)}</code></p>${description}</div>`,
      };
    }
  }
}
