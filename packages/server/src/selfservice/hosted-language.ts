// The hosted pages' language, among those the store offers: `?lang=` when the user picked one, else
// the best match of Accept-Language (RFC 9110 §12.5.4, q-values; `de-AT` matches `de`), else the
// store's default language (English unless its branding says otherwise).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { LANGUAGES, type Language } from '../../../hosted/src/messages.ts';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The languages a store offers and its default; every language and English when it sets none. */
export interface OfferedLanguages {
  offered: readonly Language[];
  default: Language;
}

const EVERY_LANGUAGE: OfferedLanguages = { offered: LANGUAGES, default: 'en' };

export function negotiateLanguage(acceptLanguage: string | undefined, explicit?: string, languages: OfferedLanguages = EVERY_LANGUAGE): Language {
  const isOffered = (value: unknown): value is Language => isLanguage(value) && languages.offered.includes(value);
  if (isOffered(explicit)) return explicit;
  if (!acceptLanguage) return languages.default;
  let best: { lang: Language; q: number; index: number } | undefined;
  acceptLanguage
    .split(',')
    .slice(0, 32)
    .forEach((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      if (!Number.isFinite(q) || q <= 0 || q > 1) return;
      const primary = range.trim().toLowerCase().split('-')[0];
      if (!isOffered(primary)) return;
      if (!best || q > best.q || (q === best.q && index < best.index)) best = { lang: primary, q, index };
    });
  return best?.lang ?? languages.default;
}

/** The querystring of every hosted HTML page: `?lang=`, and whatever else the page itself reads. */
export const HostedPageQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 16 })) }, { additionalProperties: true });

/** A hosted page's language, and its path and query without `lang` (for the language links). */
export function hostedPageLanguage(request: FastifyRequest, languages?: OfferedLanguages): { lang: Language; path: string } {
  // The route's querystring schema is HostedPageQuery.
  const lang = negotiateLanguage(request.headers['accept-language'], (request.query as Static<typeof HostedPageQuery>).lang, languages);
  const url = new URL(request.url, 'http://localhost');
  url.searchParams.delete('lang');
  // One leading slash: a raw target such as `/.//evil.example/x` must not become a protocol-relative link.
  return { lang, path: url.pathname.replace(/^\/+/, '/') + url.search };
}
