// The hosted journey runner's HTML shell, rendered by the server at /{tenantId}/journeys/{journeyId},
// in the hosted pages' frame (shell-kit.ts) with the texts of the chosen language. The script
// (journey-runner.ts) draws each step.
import { RUNNER_MESSAGES, type RunnerMessageKey, type RunnerMessages } from './journey-runner-messages.ts';
import type { Language } from './messages.ts';
import { escapeHtml, renderHostedDocument, type HostedBranding } from './shell-kit.ts';

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
  /** Shown in the header and, until the first step, as the heading: the store's display name. Never the journey's own name: that is the administrators'. */
  serviceName: string;
  /** Public journeys can be started (again) from this page; others only continued with a session. */
  startable: boolean;
  /** The current path and query without `lang`, for the language links. */
  path: string;
  assets: RunnerAssets;
  notFound?: boolean;
  /** The journey's store's logo, colours and languages; `serviceName` is its product name. */
  branding?: HostedBranding | undefined;
  /** Where to go after success when the page has no `return_to`: the store's application (its self-service setting). */
  applicationUrl?: string | undefined;
  /** The store's "Your passkeys" page, when the store serves its self-service pages. */
  accountUrl?: string | undefined;
}

/** What the runner script reads from `#keyway-runner`. */
export interface RunnerData {
  tenantBase: string;
  journeyId: string;
  lang: Language;
  startable: boolean;
  messages: RunnerMessages;
  applicationUrl?: string;
  accountUrl?: string;
}

export function renderRunnerShell(input: RunnerShellInput): string {
  const m = RUNNER_MESSAGES[input.lang];
  const t = (key: RunnerMessageKey) => escapeHtml(m[key]);
  const data: RunnerData = {
    tenantBase: input.tenantBase,
    journeyId: input.journeyId,
    lang: input.lang,
    startable: input.startable,
    messages: m,
    ...(input.applicationUrl ? { applicationUrl: input.applicationUrl } : {}),
    ...(input.accountUrl ? { accountUrl: input.accountUrl } : {}),
  };
  const main = input.notFound
    ? `<h1>${t('runner.notFound.title')}</h1>
<p class="lead">${t('runner.notFound.body')}</p>`
    : `<div id="step" class="journey-step">
<h1 tabindex="-1">${escapeHtml(input.serviceName)}</h1>
<p class="lead" id="loading">${t('runner.loading')}</p>
<noscript><p class="error">${t('common.noscript')}</p></noscript>
</div>
<p id="status" class="status" role="status" aria-live="polite"></p>
<div id="error" class="error" role="alert" aria-live="assertive" tabindex="-1"></div>`;
  const { stylesheets, preload, script } = input.assets;
  return renderHostedDocument({
    lang: input.lang,
    title: input.notFound ? m['runner.notFound.title'] : m['runner.loading'],
    serviceName: input.serviceName,
    path: input.path,
    // The not-found page runs nothing: the stylesheets only.
    assets: input.notFound ? { stylesheets, preload: [] } : { stylesheets, preload, script },
    dataId: 'keyway-runner',
    data,
    main,
    branding: input.branding,
  });
}
