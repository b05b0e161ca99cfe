// The pages a browser gets outside any store: the server's home page (what runs here, its version and
// health, where the API documentation is) and the not-found page for an address that is nothing.
// Same frame and stylesheet as the store pages (shell-kit.ts); no script.
import { MESSAGES, type Language, type MessageKey } from './messages.ts';
import { escapeHtml, renderHostedDocument } from './shell-kit.ts';
import { format } from './format.ts';

export interface SitePageInput {
  lang: Language;
  /** The current path and query without `lang`, for the language links. */
  path: string;
  stylesheet: string;
}

export interface HomePageInput extends SitePageInput {
  version: string;
  /** The readiness check's answer: the database dialect when ready, else why not. */
  health: { ready: true; database: string } | { ready: false; detail: string };
}

export function renderHomePage(input: HomePageInput): string {
  const m = MESSAGES[input.lang];
  const t = (key: MessageKey, values?: Record<string, string>) => escapeHtml(format(m[key], values));
  const health = input.health.ready
    ? `<p class="status-line ok" data-health="ready">${t('home.ready', { database: input.health.database })}</p>`
    : `<p class="status-line bad" data-health="not-ready">${t('home.notReady', { detail: input.health.detail })}</p>`;
  const main = `<h1>${t('home.title')}</h1>
<p class="lead">${t('home.lead')}</p>
<dl class="facts">
<div><dt>${t('home.version')}</dt><dd data-version>${escapeHtml(input.version)}</dd></div>
<div><dt>${t('home.health')}</dt><dd>${health}</dd></div>
</dl>
<h2>${t('home.links')}</h2>
<ul class="links">
<li><a href="/docs">${t('home.docs')}</a></li>
<li><a href="/healthz">${t('home.healthLink')}</a> <code>/healthz</code></li>
<li><a href="/readyz">${t('home.readyLink')}</a> <code>/readyz</code></li>
</ul>`;
  return document(input, m['home.title'], main);
}

export interface SiteNotFoundInput extends SitePageInput {
  /** The store's name and sign-in page when the address is below a store that serves its pages. */
  store?: { serviceName: string; signin: string };
}

export function renderSiteNotFound(input: SiteNotFoundInput): string {
  const m = MESSAGES[input.lang];
  const t = (key: MessageKey) => escapeHtml(m[key]);
  const next = input.store ? `<a href="${escapeHtml(input.store.signin)}">${t('common.notFound.signin')}</a>` : `<a href="/">${t('common.notFound.home')}</a>`;
  const main = `<h1>${t('common.notFound.title')}</h1>
<p class="lead">${t(input.store ? 'common.notFound.body' : 'common.notFound.siteBody')}</p>
<p>${next}</p>`;
  return document(input, m['common.notFound.title'], main, input.store?.serviceName);
}

function document(input: SitePageInput, title: string, main: string, serviceName = 'Keyway'): string {
  return renderHostedDocument({
    lang: input.lang,
    title,
    serviceName,
    path: input.path,
    assets: { stylesheets: [input.stylesheet], preload: [] },
    dataId: 'keyway-site',
    data: {},
    main,
  });
}
