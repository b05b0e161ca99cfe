// The hosted journey runner's HTML shell, rendered by the server at /{tenantId}/journeys/{journeyId}.
// Like the hosted pages: no inline script or style (CSP `script-src 'self'`), the page's data in a
// JSON data block, and the texts of the chosen language. The script (journey-runner.ts) draws each step.
import { RUNNER_MESSAGES, type RunnerMessageKey, type RunnerMessages } from './journey-runner-messages.ts';
import { LANGUAGES, type Language } from './messages.ts';
import { escapeHtml } from './shells.ts';

export interface RunnerAssets {
  stylesheets: string[];
  script: string;
  preload: string[];
}

export interface RunnerShellInput {
  lang: Language;
  /** `/{tenantId}`: the runtime API lives below it. */
  tenantBase: string;
  journeyId: string;
  /** Shown in the header: the store's display name (or the journey's name). */
  serviceName: string;
  /** Shown while loading and in the window title. */
  journeyName: string;
  /** Public journeys can be started (again) from this page; others only continued with a session. */
  startable: boolean;
  /** The current path and query without `lang`, for the language links. */
  path: string;
  assets: RunnerAssets;
  notFound?: boolean;
}

/** What the runner script reads from `#keyway-runner`. */
export interface RunnerData {
  tenantBase: string;
  journeyId: string;
  lang: Language;
  startable: boolean;
  messages: RunnerMessages;
}

function jsonData(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export function renderRunnerShell(input: RunnerShellInput): string {
  const m = RUNNER_MESSAGES[input.lang];
  const t = (key: RunnerMessageKey) => escapeHtml(m[key]);
  const data: RunnerData = { tenantBase: input.tenantBase, journeyId: input.journeyId, lang: input.lang, startable: input.startable, messages: m };
  const head = [
    ...input.assets.stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`),
    ...(input.notFound ? [] : input.assets.preload.map((href) => `<link rel="modulepreload" href="${escapeHtml(href)}">`)),
    ...(input.notFound ? [] : [`<script type="module" src="${escapeHtml(input.assets.script)}"></script>`]),
  ];
  const main = input.notFound
    ? `<h1>${t('runner.notFound.title')}</h1>
<p class="lead">${t('runner.notFound.body')}</p>`
    : `<div id="step" class="journey-step">
<h1 tabindex="-1">${escapeHtml(input.journeyName)}</h1>
<p class="lead" id="loading">${t('runner.loading')}</p>
<noscript><p class="error">${t('common.noscript')}</p></noscript>
</div>
<p id="status" class="status" role="status" aria-live="polite"></p>
<div id="error" class="error" role="alert" aria-live="assertive" tabindex="-1"></div>`;
  const separator = input.path.includes('?') ? '&' : '?';
  const languages = LANGUAGES.map((lang) => {
    const current = lang === input.lang ? ' aria-current="true"' : '';
    return `<li><a href="${escapeHtml(`${input.path}${separator}lang=${lang}`)}" lang="${lang}" hreflang="${lang}"${current}>${escapeHtml(RUNNER_MESSAGES[lang]['lang.name'])}</a></li>`;
  });
  return `<!doctype html>
<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(input.notFound ? m['runner.notFound.title'] : input.journeyName)} · ${escapeHtml(input.serviceName)}</title>
${head.join('\n')}
<script type="application/json" id="keyway-runner">${jsonData(data)}</script>
</head>
<body>
<a class="skip-link" href="#main">${t('common.skip')}</a>
<header class="site-header"><p class="service-name">${escapeHtml(input.serviceName)}</p></header>
<main id="main" class="card" tabindex="-1">
${main}
</main>
<footer class="site-footer"><nav aria-label="${t('common.language')}"><ul class="languages">${languages.join('')}</ul></nav></footer>
</body>
</html>
`;
}
