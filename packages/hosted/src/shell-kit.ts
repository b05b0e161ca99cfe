// The HTML frame every hosted page shares (the self-service pages in shells.ts, the journey runner in
// journey-runner-shell.ts): head, skip link, header, footer with the language links. One frame, so the
// pages look and behave alike and a change to it (a meta tag, an accessibility fix) reaches all of them.
// No inline script or style: the CSP is `script-src 'self'`, and the page's data travels in a JSON data block.
import { LANGUAGES, SHARED_MESSAGES, type Language } from './messages.ts';

export interface PageAssetTags {
  stylesheets: readonly string[];
  /** Every module the script imports, so the browser fetches them in parallel. */
  preload: readonly string[];
  /** The page's module script (none on a not-found page). */
  script?: string;
}

export interface HostedDocument {
  lang: Language;
  /** Text (escaped here): the window title is `{title} · {serviceName}`. */
  title: string;
  /** Shown in the header. */
  serviceName: string;
  /** The current path and query without `lang`, for the language links. */
  path: string;
  assets: PageAssetTags;
  /** The `id` of the JSON data block the page script reads, and its content. */
  dataId: string;
  data: unknown;
  /** The content of `<main>` (HTML). */
  main: string;
  /** The store's branding; without it, Keyway's look and every language. */
  branding?: HostedBranding | undefined;
}

/** What a store's branding changes in the frame (the server resolves and validates it). */
export interface HostedBranding {
  /** An https or raster `data:` image URL, shown beside the product name. */
  logoUrl?: string | undefined;
  /** The languages the switcher offers, in order; every language when absent. */
  languages?: readonly Language[] | undefined;
  /** Custom properties over keyway.css (theme.ts), for a `<style>` element the page's CSP allows by its hash. */
  themeCss?: string | undefined;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** JSON that is safe inside a `<script type="application/json">` element (no `</script>` break-out). */
function jsonData(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export function renderHostedDocument(input: HostedDocument): string {
  // The frame's own texts (skip link, language names) are the same on every hosted page.
  const m = SHARED_MESSAGES[input.lang];
  const { stylesheets, preload, script } = input.assets;
  const head = [
    ...stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`),
    ...preload.map((href) => `<link rel="modulepreload" href="${escapeHtml(href)}">`),
    ...(script ? [`<script type="module" src="${escapeHtml(script)}"></script>`] : []),
    // After the stylesheet, so the store's colours win; the content is custom properties made from validated colours only.
    ...(input.branding?.themeCss ? [`<style>${input.branding.themeCss}</style>`] : []),
  ];
  // The logo is decorative: the product name beside it is the header's text.
  const logo = input.branding?.logoUrl ? `<img class="brand-logo" src="${escapeHtml(input.branding.logoUrl)}" alt="">` : '';
  return `<!doctype html>
<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(input.title)} · ${escapeHtml(input.serviceName)}</title>
<link rel="icon" href="/favicon.ico" sizes="32x32">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
${head.join('\n')}
<script type="application/json" id="${input.dataId}">${jsonData(input.data)}</script>
</head>
<body>
<a class="skip-link" href="#main">${escapeHtml(m['common.skip'])}</a>
<header class="site-header">${logo}<p class="service-name">${escapeHtml(input.serviceName)}</p></header>
<main id="main" class="card" tabindex="-1">
${input.main}
</main>
<footer class="site-footer">${languageLinks(input)}</footer>
</body>
</html>
`;
}

/** Each offered language's name, in that language, linking to this page with `?lang=`; the current one marked. None when only one is offered. */
function languageLinks(input: HostedDocument): string {
  const separator = input.path.includes('?') ? '&' : '?';
  const offered = input.branding?.languages ?? LANGUAGES;
  if (offered.length < 2) return '';
  const links = offered.map((lang) => {
    const current = lang === input.lang ? ' aria-current="true"' : '';
    return `<li><a href="${escapeHtml(`${input.path}${separator}lang=${lang}`)}" lang="${lang}" hreflang="${lang}"${current}>${escapeHtml(SHARED_MESSAGES[lang]['lang.name'])}</a></li>`;
  });
  return `<nav aria-label="${escapeHtml(SHARED_MESSAGES[input.lang]['common.language'])}"><ul class="languages">${links.join('')}</ul></nav>`;
}
