// The hosted pages' HTML shells, rendered by the server. Everything the user reads is here (localized,
// so the page is meaningful before any script runs); the page scripts add behaviour only. The frame
// around each page (head, header, language links) is shell-kit.ts's, shared with the journey runner.
import { MESSAGES, type Language, type MessageKey, type Messages } from './messages.ts';
import { escapeHtml, renderHostedDocument, type HostedBranding } from './shell-kit.ts';

export type PageName = 'signup' | 'signin' | 'passkeys' | 'recover' | 'lost-passkey' | 'verify-email';
export const PAGE_NAMES: readonly PageName[] = ['signup', 'signin', 'passkeys', 'recover', 'lost-passkey', 'verify-email'];

export interface ShellAssets {
  stylesheet: string;
  /** The page's module script (none on the not-found page). */
  script?: string;
  /** Every module the script imports, so the browser fetches them in parallel. */
  preload: string[];
}

export interface ShellInput {
  page: PageName | 'not-found';
  lang: Language;
  /** The store's self-service base path: `/{tenantId}/identity/{storeName}`. */
  base: string;
  /** Shown in the header: the store's display name. */
  serviceName: string;
  allowSignUp: boolean;
  /** The current path and query without `lang`, for the language links. */
  path: string;
  assets: ShellAssets | undefined;
  /** The store's logo, colours and languages; `serviceName` is its product name. */
  branding?: HostedBranding | undefined;
  /** The store's application: where sign-in and sign-up lead when the page has no `return_to`. */
  applicationUrl?: string | undefined;
  /** Whether the server sends e-mail: the sign-in page then links to the lost-passkey page. */
  emailEnabled?: boolean | undefined;
  /** Whether users may delete their own account (the store's `selfService.accountDeletion`): My passkeys then offers it. */
  accountDeletion?: boolean | undefined;
}

/** What the page scripts read from `#keyway-page`. */
export interface PageData {
  base: string;
  lang: Language;
  messages: Messages;
  applicationUrl?: string;
}

export function renderShell(input: ShellInput): string {
  const m = MESSAGES[input.lang];
  const t = (key: MessageKey) => escapeHtml(m[key]);
  const { main, titleKey } = body(input, t);
  const data: PageData = {
    base: input.base,
    lang: input.lang,
    messages: clientMessages(m, input.page),
    ...(input.applicationUrl ? { applicationUrl: input.applicationUrl } : {}),
  };
  const assets = input.assets;
  return renderHostedDocument({
    lang: input.lang,
    title: m[titleKey],
    serviceName: input.serviceName,
    path: input.path,
    assets: assets ? { stylesheets: [assets.stylesheet], preload: assets.preload, script: assets.script } : { stylesheets: [], preload: [] },
    dataId: 'keyway-page',
    data,
    main,
    branding: input.branding,
  });
}

/** The texts a page script can show: shared ones, errors, its own, and the sign-in link and confirmation. */
function clientMessages(m: Messages, page: ShellInput['page']): Messages {
  // A page's own keys start with its name in camelCase (`lost-passkey` → `lostPasskey.`).
  const own = `${page.replace(/-(\w)/g, (_dash, letter: string) => letter.toUpperCase())}.`;
  const wanted = (key: string) =>
    key.startsWith('common.') || key.startsWith('error.') || key.startsWith(own) || key === 'signin.title' || key === 'signin.done';
  return Object.fromEntries(Object.entries(m).filter(([key]) => wanted(key))) as Messages;
}

/** The live regions every page announces through: progress (polite) and errors (assertive). */
function liveRegions(): string {
  return `<p id="status" class="status" role="status" aria-live="polite"></p>
<p id="error" class="error" role="alert" aria-live="assertive" tabindex="-1"></p>`;
}

/**
 * A form's or page's action button. It starts disabled: the page script does the action, and pressed before the
 * script has attached it, the browser would submit the form itself (a GET to this page, the username in the URL).
 * The script enables it (page-kit's `enable`); without scripts it stays disabled beside the noscript message.
 */
function actionButton(type: 'submit' | 'button', className: string, label: string, id?: string): string {
  return `<button type="${type}"${id ? ` id="${id}"` : ''} class="${className}" disabled>${label}</button>`;
}

function noscript(t: (key: MessageKey) => string): string {
  return `<noscript><p class="error">${t('common.noscript')}</p></noscript>`;
}

function usernameField(t: (key: MessageKey) => string, autocomplete: string): string {
  return `<div class="field">
<label for="identifier">${t('common.username')}</label>
<input id="identifier" name="username" type="text" autocomplete="${autocomplete}" autocapitalize="none" spellcheck="false" required maxlength="256" aria-describedby="identifier-hint">
<p id="identifier-error" class="field-error" role="alert"></p>
<p id="identifier-hint" class="hint">${t('common.usernameHint')}</p>
</div>`;
}

/**
 * My passkeys' "Delete your account" section, shown by the script once someone is signed in: what deletion does, and
 * a confirmation panel (a group named by its question, described by what happens) with the button that deletes.
 */
function deleteAccountSection(t: (key: MessageKey) => string): string {
  return `<section id="delete-account" class="danger-zone" aria-labelledby="delete-account-heading" hidden>
<h2 id="delete-account-heading">${t('passkeys.deleteAccount.title')}</h2>
<p class="hint">${t('passkeys.deleteAccount.intro')}</p>
<button type="button" id="delete-account-open" class="danger-outline small">${t('passkeys.deleteAccount.open')}</button>
<div id="delete-account-panel" class="confirm" role="group" aria-labelledby="delete-account-question" aria-describedby="delete-account-consequences" hidden>
<p id="delete-account-question" class="question">${t('passkeys.deleteAccount.question')}</p>
<ul id="delete-account-consequences" class="consequences">
<li>${t('passkeys.deleteAccount.passkeys')}</li>
<li>${t('passkeys.deleteAccount.signOut')}</li>
<li><strong>${t('passkeys.deleteAccount.final')}</strong></li>
</ul>
<div class="row">
<button type="button" id="delete-account-confirm" class="danger small">${t('passkeys.deleteAccount.confirm')}</button>
<button type="button" id="delete-account-cancel" class="secondary small">${t('passkeys.cancel')}</button>
</div>
</div>
</section>`;
}

/** What My passkeys shows once the account is deleted (the script announces what happened): where to go from here. */
function accountDeletedSection(t: (key: MessageKey) => string, link: (page: PageName) => string, allowSignUp: boolean): string {
  return `<div id="account-deleted" class="account-deleted" hidden>
<p class="hint">${t('passkeys.deleteAccount.doneHint')}</p>
${allowSignUp ? `<p class="aside"><a href="${link('signup')}">${t('signin.createAccount')}</a></p>` : ''}
<p class="aside"><a href="${link('signin')}">${t('signin.title')}</a></p>
</div>`;
}

function body(input: ShellInput, t: (key: MessageKey) => string): { main: string; titleKey: MessageKey } {
  const link = (page: PageName) => escapeHtml(`${input.base}/${page}`);
  switch (input.page) {
    case 'signup':
      return {
        titleKey: 'signup.title',
        main: `<h1>${t('signup.title')}</h1>
${
  input.allowSignUp
    ? `<p class="lead">${t('signup.lead')}</p>
${noscript(t)}
<form id="signup-form" class="stack" novalidate>
${usernameField(t, 'username')}
<div class="field">
<label for="display-name">${t('signup.displayName')}</label>
<input id="display-name" name="name" type="text" autocomplete="name" maxlength="64" aria-describedby="display-name-hint">
<p id="display-name-hint" class="hint">${t('signup.displayNameHint')}</p>
</div>
${actionButton('submit', 'primary', t('signup.submit'))}
</form>`
    : `<p class="lead">${t('signup.closed')}</p>`
}
${liveRegions()}
<p class="aside">${t('signup.haveAccount')} <a href="${link('signin')}">${t('signin.title')}</a></p>`,
      };
    case 'signin':
      return {
        titleKey: 'signin.title',
        main: `<h1>${t('signin.title')}</h1>
<p class="lead">${t('signin.lead')}</p>
${noscript(t)}
<form id="signin-form" class="stack" novalidate>
${usernameField(t, 'username webauthn')}
${actionButton('submit', 'primary', t('signin.continue'))}
</form>
<p class="divider"><span>${t('signin.or')}</span></p>
${actionButton('button', 'secondary', t('signin.passkey'), 'passkey-button')}
${liveRegions()}
${input.allowSignUp ? `<p class="aside">${t('signin.noAccount')} <a href="${link('signup')}">${t('signin.createAccount')}</a></p>` : ''}
${input.emailEnabled ? `<p class="aside"><a id="lost-passkey-link" href="${link('lost-passkey')}">${t('signin.lostLink')}</a></p>` : `<p class="aside">${t('signin.lost')}</p>`}`,
      };
    case 'passkeys':
      return {
        titleKey: 'passkeys.title',
        main: `<h1 id="passkeys-title" tabindex="-1">${t('passkeys.title')}</h1>
${noscript(t)}
<div id="account-bar" class="account-bar">
<p id="account" class="account">${t('passkeys.loading')}</p>
<button type="button" id="sign-out" class="link-button" hidden>${t('passkeys.signOut')}</button>
</div>
${liveRegions()}
<h2 id="passkeys-heading" class="visually-hidden">${t('passkeys.listLabel')}</h2>
<ul id="passkey-list" class="passkeys" aria-labelledby="passkeys-heading"></ul>
<button type="button" id="add-passkey" class="secondary" hidden>${t('passkeys.add')}</button>
<section id="devices" class="devices-section" aria-labelledby="devices-heading" hidden>
<h2 id="devices-heading" tabindex="-1">${t('passkeys.devices.title')}</h2>
<p class="hint">${t('passkeys.devices.intro')}</p>
<ul id="device-list" class="passkeys"></ul>
</section>
${input.applicationUrl ? `<p class="aside"><a id="continue-to-app" href="${escapeHtml(input.applicationUrl)}">${t('passkeys.continueToApp')}</a></p>` : ''}
${input.accountDeletion ? deleteAccountSection(t) : ''}
${input.accountDeletion ? accountDeletedSection(t, link, input.allowSignUp) : ''}`,
      };
    case 'recover':
      return {
        titleKey: 'recover.title',
        main: `<h1>${t('recover.title')}</h1>
<p class="lead">${t('recover.lead')}</p>
${noscript(t)}
<form id="recover-form" class="stack" novalidate hidden>
<p class="account">${t('recover.account')}: <strong id="recover-account"></strong></p>
<div class="checkbox">
<input id="revoke-others" name="revokeOthers" type="checkbox" aria-describedby="revoke-others-hint">
<label for="revoke-others">${t('recover.revokeOthers')}</label>
</div>
<p id="revoke-others-hint" class="hint">${t('recover.emailUnverified')}</p>
<button type="submit" class="primary">${t('recover.submit')}</button>
</form>
${liveRegions()}`,
      };
    case 'lost-passkey':
      return {
        titleKey: 'lostPasskey.title',
        main: `<h1>${t('lostPasskey.title')}</h1>
${
  input.emailEnabled
    ? `<p class="lead">${t('lostPasskey.lead')}</p>
${noscript(t)}
<form id="lost-passkey-form" class="stack" novalidate>
<div class="field">
<label for="email">${t('lostPasskey.email')}</label>
<input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="254" aria-describedby="email-error">
<p id="email-error" class="field-error" role="alert"></p>
</div>
${actionButton('submit', 'primary', t('lostPasskey.submit'))}
</form>`
    : `<p class="lead">${t('lostPasskey.unavailable')}</p>`
}
${liveRegions()}
<p class="aside"><a href="${link('signin')}">${t('lostPasskey.back')}</a></p>`,
      };
    case 'verify-email':
      // Nothing happens when the link opens: the page shows whose account it is about and the reader chooses (a click
      // on an unexpected e-mail, or a mail scanner running the page, must not verify someone else's account).
      return {
        titleKey: 'verifyEmail.title',
        main: `<h1 id="verify-title" tabindex="-1">${t('verifyEmail.title')}</h1>
${noscript(t)}
<section id="verify-details" aria-labelledby="verify-title" hidden>
<p class="lead">${t('verifyEmail.lead')}</p>
<dl class="facts">
<div><dt>${t('verifyEmail.account')}</dt><dd id="verify-account"></dd></div>
<div><dt>${t('verifyEmail.created')}</dt><dd id="verify-created"></dd></div>
</dl>
<div id="verify-choice">
<h2 id="verify-question">${t('verifyEmail.question')}</h2>
<div class="stack" role="group" aria-labelledby="verify-question">
${actionButton('button', 'primary', t('verifyEmail.confirm'), 'confirm-email')}
<button type="button" id="disown-email" class="secondary" aria-describedby="disown-hint" disabled>${t('verifyEmail.disown')}</button>
<p id="disown-hint" class="hint"></p>
</div>
</div>
<p id="verify-verified" hidden>${t('verifyEmail.alreadyVerified')}</p>
</section>
${liveRegions()}
${input.allowSignUp ? `<p class="aside" id="verify-sign-up" hidden><a href="${link('signup')}">${t('signin.createAccount')}</a></p>` : ''}
<p class="aside"><a href="${link('signin')}">${t('signin.title')}</a></p>`,
      };
    case 'not-found':
      return {
        titleKey: 'common.notFound.title',
        main: `<h1>${t('common.notFound.title')}</h1>
<p class="lead">${t('common.notFound.body')}</p>`,
      };
  }
}
