import type { Kysely } from 'kysely';
import { renderOidcPage, type OidcErrorReason, type OidcPage } from '../../../hosted/src/oidc-shells.ts';
import type { BrandingService } from '../branding/branding-service.ts';
import { brandedCsp, hostedBranding } from '../branding/page-branding.ts';
import { pageSecurityHeaders } from '../http/page-security-headers.ts';
import type { Language } from '../../../hosted/src/messages.ts';
import { isLanguage, negotiateLanguage } from '../selfservice/hosted-language.ts';
import type { Schema } from '../storage/schema.ts';

export type { OidcErrorReason, OidcPage };

/**
 * No script. `form-action` is left open on purpose: after the consent and logout forms the browser is redirected on to
 * the client's redirect URI, which Chromium checks against `form-action` too.
 */
const OIDC_PAGE_CSP = "default-src 'self'; script-src 'none'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface OidcPageRequest {
  tenantId: string;
  /** The client's store when the page belongs to a known client: its name, look and languages. */
  storeId?: string | undefined;
  acceptLanguage?: string | undefined;
  /** The client's `ui_locales` parameter, which wins over Accept-Language (not over the user's own `?lang=`) */
  uiLocales?: unknown;
  /** The request's path and query as the browser sent it (for `?lang=` and the language links). */
  url: string;
}

export interface RenderedOidcPage {
  html: string;
  headers: Record<string, string>;
}

export interface OidcPagesDeps {
  db: Kysely<Schema>;
  /** The hosted pages' stylesheet URL (content-hashed), resolved when the first page is drawn. */
  stylesheet: () => string;
  branding: Pick<BrandingService, 'forStore'>;
}

/**
 * Draws the OpenID Provider's own pages (oidc-shells.ts) as the store's hosted pages look: the client's store's name,
 * branding and languages, the language from `?lang=` or Accept-Language. A page for no known client (an unknown
 * `client_id`) is Keyway's, in every language.
 */
export class OidcPages {
  readonly #deps: OidcPagesDeps;

  constructor(deps: OidcPagesDeps) {
    this.#deps = deps;
  }

  async render(request: OidcPageRequest, page: OidcPage): Promise<RenderedOidcPage> {
    const store =
      request.storeId === undefined
        ? undefined
        : await this.#deps.db
            .selectFrom('stores')
            .select(['id', 'tenant_id', 'name', 'display_name'])
            .where('tenant_id', '=', request.tenantId)
            .where('id', '=', request.storeId)
            .executeTakeFirst();
    const branding = store ? await this.#deps.branding.forStore(store) : undefined;
    const url = new URL(request.url, 'http://localhost');
    const explicit = url.searchParams.get('lang') ?? uiLocaleLanguage(request.uiLocales);
    const lang = negotiateLanguage(request.acceptLanguage, explicit, branding?.languages);
    url.searchParams.delete('lang');
    const html = renderOidcPage({
      lang,
      path: url.pathname + url.search,
      stylesheet: this.#deps.stylesheet(),
      serviceName: branding?.productName ?? 'Keyway',
      branding: branding && hostedBranding(branding),
      page,
    });
    const csp = branding ? brandedCsp(OIDC_PAGE_CSP, branding) : OIDC_PAGE_CSP;
    return { html, headers: { ...pageSecurityHeaders(csp), 'cache-control': 'no-store', vary: 'Accept-Language', 'content-language': lang } };
  }
}

/**
 * The first of a client's `ui_locales` (OpenID Connect Core §3.1.2.1: space-separated BCP 47 tags, preferred first)
 * that Keyway has pages in, by its language subtag (`de-CH` → `de`).
 */
export function uiLocaleLanguage(uiLocales: unknown): Language | undefined {
  if (typeof uiLocales !== 'string') return undefined;
  return uiLocales
    .split(' ')
    .map((tag) => tag.toLowerCase().split('-')[0])
    .find(isLanguage);
}
