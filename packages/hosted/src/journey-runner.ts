// The hosted journey runner: starts (or continues) a journey with the @keyway/web journey client and
// draws each client-facing step — seed-format forms, passkey prompts, Mosaic login / register passkeys,
// custom pages in a sandboxed iframe — then success or rejection. Every new step moves focus to its
// heading; errors go to an assertive live region; nothing is inserted as HTML.
// Only the modules the runner needs (not the whole SDK index): less to download.
import { isAutofillAvailable, isWebAuthnAvailable } from '../../web/src/capabilities.ts';
import { KeywayServerError, KeywayWebError } from '../../web/src/errors.ts';
import type { JourneyFieldError, JourneyForm } from '../../web/src/journey-forms.ts';
import { resumeJourney, startJourney, type ClientStep, type JourneyClientOptions, type JourneyStep } from '../../web/src/journey.ts';
import { format } from './format.ts';
import { h, renderForm, sentenceCase, type Child } from './form-view.ts';
import type { RunnerMessageKey } from './journey-runner-messages.ts';
import type { RunnerData } from './journey-runner-shell.ts';
import { describeError, element, sameOriginReturnTo } from './ui-kit.ts';

const data = JSON.parse(document.getElementById('keyway-runner')?.textContent ?? '{}') as RunnerData;
const client: JourneyClientOptions = { baseUrl: data.tenantBase, locale: data.lang };
const stepRoot = element('step');
const statusRegion = element('status');
const errorRegion = element('error');
// The session of a journey in progress survives a reload of this tab (sessionStorage: this tab only, never sent anywhere).
const storageKey = `keyway.journey.${data.tenantBase}.${data.journeyId}`;

const t = (key: RunnerMessageKey, values?: Record<string, string | number>) => format(data.messages[key] ?? key, values);

function remember(sessionId: string | undefined): void {
  try {
    if (sessionId) sessionStorage.setItem(storageKey, sessionId);
    else sessionStorage.removeItem(storageKey);
  } catch {
    // Storage may be off (privacy settings): a reload then starts again.
  }
}

function remembered(): string | undefined {
  try {
    return sessionStorage.getItem(storageKey) ?? undefined;
  } catch {
    return undefined;
  }
}

// ── live regions ──

function status(text: string): void {
  statusRegion.textContent = text;
}

function clearMessages(): void {
  statusRegion.textContent = '';
  errorRegion.replaceChildren();
}

/** Shows an error; `retry` adds a button that runs it (and takes focus, so keyboard users land on it). */
function showError(text: string, retry?: { label: string; run: () => void }): void {
  statusRegion.textContent = '';
  const children: Node[] = [h('p', {}, text)];
  let button: HTMLButtonElement | undefined;
  if (retry) {
    button = h('button', { type: 'button', class: 'secondary retry', 'data-action': 'retry' }, retry.label);
    button.addEventListener('click', () => {
      clearMessages();
      retry.run();
    });
    children.push(button);
  }
  errorRegion.replaceChildren(...children);
  (button ?? errorRegion).focus();
}

/** The runner always says something, a cancelled ceremony included. */
function describe(error: unknown): string {
  return describeError(error, data.messages, t) ?? t('error.generic');
}

/** A session that cannot go on: only starting again helps. */
function isDeadSession(error: unknown): boolean {
  return (
    error instanceof KeywayServerError && ['JOURNEY_SESSION_NOT_FOUND', 'JOURNEY_SESSION_EXPIRED', 'JOURNEY_STEP_ALREADY_SUBMITTED'].includes(error.problemCode)
  );
}

// ── drawing steps ──

let generation = 0;
let pageAbort: AbortController | undefined;

/** Replaces the step area and moves focus to the new heading. */
function draw(heading: string | HTMLHeadingElement, ...children: Child[]): void {
  const title = typeof heading === 'string' ? h('h1', {}, sentenceCase(heading, data.lang)) : heading;
  title.id = 'step-title';
  title.tabIndex = -1;
  stepRoot.replaceChildren(title, ...children.filter((c): c is Node | string => Boolean(c)));
  stepRoot.dataset.kind = '';
  document.title = `${title.textContent ?? ''} · ${document.title.split(' · ').pop() ?? ''}`;
  title.focus();
}

/**
 * Runs one answer of the current step with `buttons` disabled and marked busy (a second click does
 * nothing; the SDK refuses a second answer anyway), then draws what comes next.
 */
async function act(buttons: HTMLButtonElement[], waiting: string, action: () => Promise<JourneyStep>, onError?: (error: unknown) => boolean): Promise<void> {
  if (buttons.some((b) => b.getAttribute('aria-busy') === 'true')) return;
  const mine = generation;
  clearMessages();
  for (const b of buttons) {
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
  }
  status(waiting);
  try {
    const next = await action();
    if (mine === generation) show(next);
  } catch (error) {
    if (mine !== generation) return;
    for (const b of buttons) {
      b.disabled = false;
      b.removeAttribute('aria-busy');
    }
    status('');
    if (onError?.(error)) return;
    if (isDeadSession(error)) {
      remember(undefined);
      showError(describe(error), data.startable ? { label: t('runner.startAgain'), run: () => void begin(true) } : undefined);
      return;
    }
    // The step is still open (the SDK reopens it after a failed send): the same button tries again.
    showError(describe(error), buttons[0] ? { label: t('runner.tryAgain'), run: () => buttons[0]!.click() } : undefined);
  }
}

/** How often a step with a timeout asks the server whether its timeout branch was taken. */
const TIMEOUT_POLL_MS = 2000;

/**
 * A step with a timeout: the server takes its timeout branch by itself when the time is up, so while the step is shown
 * the runner reads its session now and then, and shows the step or the end the journey moved on to.
 */
function watchTimeout(step: Exclude<JourneyStep, { kind: 'success' | 'rejection' }>): void {
  if (step.stepExpiresAt === undefined) return;
  const mine = generation;
  const poll = async () => {
    if (mine !== generation || step.answered) return;
    try {
      const now = await resumeJourney({ ...client, sessionId: step.sessionId });
      if (mine !== generation || step.answered) return;
      if (now.kind === 'success' || now.kind === 'rejection' || now.journeyStepId !== step.journeyStepId) return show(now);
    } catch (error) {
      // Being answered right now, or briefly unreachable: the next poll (or the answer itself) tells.
      if (isDeadSession(error) && mine === generation && !step.answered) return;
    }
    setTimeout(() => void poll(), TIMEOUT_POLL_MS);
  };
  setTimeout(() => void poll(), TIMEOUT_POLL_MS);
}

function show(step: JourneyStep): void {
  generation += 1;
  pageAbort?.abort();
  pageAbort = undefined;
  clearMessages();
  if (step.kind === 'success' || step.kind === 'rejection') remember(undefined);
  else {
    remember(step.sessionId);
    watchTimeout(step);
  }
  switch (step.kind) {
    case 'success':
      // Signed in only when the journey authenticated its user (and so issued an ID token).
      return drawSuccess(step.idToken && step.user ? (step.user.userKey ?? step.user.externalId ?? step.user.id) : undefined);
    case 'rejection':
      return drawRejection(step.code);
    case 'form':
      return drawForm(
        step,
        step.form,
        () => ({ label: step.form?.button?.label ?? t('runner.continue') }),
        (values, buttons) => act(buttons, t('runner.sending'), () => step.submit(values)),
      );
    case 'passkeyRegistrationForm':
      return drawForm(
        step,
        step.form,
        () => ({ label: t('runner.registration.button'), lead: t('runner.registration.lead') }),
        (formData, buttons) => act(buttons, t('runner.waiting'), () => step.register({ formData })),
      );
    case 'passkeyAuthenticationForm':
      return drawForm(
        step,
        step.form,
        () => ({ label: t('runner.authentication.button'), lead: t('runner.authentication.lead') }),
        (formData, buttons) => act(buttons, t('runner.waiting'), () => step.authenticate({ formData })),
      );
    case 'registerPasskeys':
      return drawRegisterPasskeys(step);
    case 'loginForm':
      return drawLoginForm(step);
    case 'knownDeviceStatus':
      return drawKnownDeviceStatus(step);
    case 'customPage':
      return drawCustomPage(step);
    case 'other':
      if (step.stepType === 'general.emailOtp') return drawEmailOtp(step);
      if (step.stepType === 'general.selectOrganization') return drawSelectOrganization(step);
      return drawUnsupported(step);
  }
}

type FormLike = Extract<ClientStep, { kind: 'form' | 'passkeyRegistrationForm' | 'passkeyAuthenticationForm' }>;

/** A seed-format form (or a title-only passkey prompt): labels, rules and messages as the server presents them. */
function drawForm(
  step: FormLike,
  form: JourneyForm | null,
  texts: () => { label: string; lead?: string },
  submit: (values: Record<string, string>, buttons: HTMLButtonElement[]) => Promise<void>,
): void {
  const { label, lead } = texts();
  const view = renderForm(form, { texts: { required: t('runner.required'), choose: t('runner.choose') }, buttonLabel: label });
  const { element: formElement, primary } = view;
  const cancel = step.options.includes('cancel') ? h('button', { type: 'button', class: 'link-button', 'data-action': 'cancel' }, t('runner.cancel')) : null;
  if (cancel) view.buttonRow.append(cancel);
  const hidden = form?.button === null && step.hideButtons;
  if (hidden) primary.hidden = true;

  const values = () => view.values();
  const markErrors = (errors: JourneyFieldError[]): boolean => {
    const first = view.markErrors(errors);
    if (errors.length === 0) return false;
    // One assertive announcement for the whole form; the messages stay next to their fields.
    errorRegion.replaceChildren(h('p', {}, t('runner.fixErrors')), h('ul', {}, ...errors.map((e) => h('li', {}, e.message))));
    (first ?? errorRegion).focus();
    return true;
  };

  const go = () => {
    clearMessages();
    const current = values();
    if (markErrors(step.validate(current))) return;
    void submit(current, cancel ? [primary, cancel] : [primary]);
  };
  formElement.addEventListener('submit', (event) => {
    event.preventDefault();
    go();
  });
  cancel?.addEventListener('click', () => void act([cancel, primary], t('runner.sending'), () => step.cancel()));

  draw(form?.title || t('runner.title'), lead ? h('p', { class: 'lead' }, lead) : null, formElement);
  stepRoot.dataset.kind = step.kind;
  // The server refused the previous submission: its messages, at their fields.
  if (form && form.errors.length > 0) markErrors(form.errors);
  if (step.kind !== 'form' && !isWebAuthnAvailable()) {
    showError(t('common.unsupported'));
    primary.disabled = true;
  }
  if (hidden) autoContinue(step.delaySeconds, go);
}

/** Hide buttons + Delay: the step proceeds by itself, with the countdown announced once. */
function autoContinue(seconds: number, go: () => void): void {
  const mine = generation;
  if (seconds > 0) status(t('runner.autoContinue'));
  setTimeout(() => {
    if (mine === generation) go();
  }, seconds * 1000);
}

function drawRegisterPasskeys(step: Extract<ClientStep, { kind: 'registerPasskeys' }>): void {
  const create = h('button', { type: 'button', class: 'primary' }, t('runner.registration.button'));
  const notNow = h('button', { type: 'button', class: 'link-button', 'data-action': 'cancel' }, t('runner.registerPasskeys.notNow'));
  create.addEventListener('click', () => void act([create, notNow], t('runner.waiting'), () => step.register()));
  notNow.addEventListener('click', () => void act([notNow, create], t('runner.sending'), () => step.cancel()));
  draw(
    t('runner.registerPasskeys.title'),
    h('p', { class: 'lead' }, t('runner.registerPasskeys.lead', { username: step.username })),
    h('div', { class: 'button-row' }, create, notNow),
  );
  stepRoot.dataset.kind = step.kind;
  if (!isWebAuthnAvailable()) {
    showError(t('common.unsupported'));
    create.disabled = true;
  }
}

/** Known Device Status asks nothing of the user: the page proves its device key (if it keeps one) at once. */
function drawKnownDeviceStatus(step: Extract<ClientStep, { kind: 'knownDeviceStatus' }>): void {
  draw(t('runner.knownDevice.title'), h('p', { class: 'lead' }, t('runner.knownDevice.lead')));
  stepRoot.dataset.kind = step.kind;
  const retry = h('button', { type: 'button', class: 'primary', hidden: true }, t('runner.tryAgain'));
  retry.addEventListener('click', () => void act([retry], t('runner.sending'), () => step.prove()));
  stepRoot.append(retry);
  void act([retry], t('runner.sending'), () => step.prove());
}

type LoginFormStep = Extract<ClientStep, { kind: 'loginForm' }>;

/**
 * Passkey autofill on the Login Form: a conditional request waits while the form is shown; picking a passkey from
 * the username field's suggestions answers the step. It is decided once per drawing (browsers without conditional
 * mediation keep the plain form), stopped when the step changes (pageAbort), and after a failure re-armed on the
 * user's next focus of the field, never in a loop.
 */
function armAutofill(step: LoginFormStep, field: HTMLInputElement): void {
  const mine = generation;
  const controller = new AbortController();
  pageAbort = controller;
  const rearm = () => field.addEventListener('focus', () => mine === generation && !step.answered && armAutofill(step, field), { once: true });
  void (async () => {
    const available = await isAutofillAvailable();
    if (mine !== generation) return;
    // Visible state for tests and styling: whether the field offers passkeys. The field exists for autofill only
    // (the prompt is the same discoverable request either way), so without it the plain form stays as it was.
    field.dataset.autofill = available ? 'armed' : 'unavailable';
    if (!available) return;
    field.closest<HTMLElement>('.field')!.hidden = false;
    try {
      const next = await step.autofill({ signal: controller.signal });
      if (mine === generation) show(next);
    } catch (error) {
      if (mine !== generation || step.answered) return;
      // Cancelled: a button of the step took over (it re-arms autofill if the user comes back to the form).
      if (error instanceof KeywayWebError && error.code === 'ERR_CANCELLED') return;
      if (isDeadSession(error)) {
        remember(undefined);
        showError(describe(error), data.startable ? { label: t('runner.startAgain'), run: () => void begin(true) } : undefined);
        return;
      }
      // NotAllowed is the user closing the passkey sheet: nothing to explain.
      if (!(error instanceof KeywayWebError && error.code === 'ERR_NOT_ALLOWED')) showError(describe(error));
      rearm();
    }
  })();
}

function drawLoginForm(step: LoginFormStep): void {
  const buttons: HTMLButtonElement[] = [];
  const autofill = step.passkeys?.autofill === true && isWebAuthnAvailable();
  const passkey = step.passkeys
    ? h('button', { type: autofill ? 'submit' : 'button', class: 'primary', 'data-action': 'passkey' }, t('runner.login.passkey'))
    : null;
  if (passkey) buttons.push(passkey);
  // Custom branches the definition adds (not the passkeys one): each a button; the server checks its data.
  const custom = step.branches
    .filter((b) => b.id !== step.passkeys?.branchId)
    .map((b) => {
      const button = h('button', { type: 'button', class: 'secondary', 'data-branch': b.id }, b.displayName ?? b.id);
      buttons.push(button);
      return { button, id: b.id };
    });
  const cancel = step.options.includes('cancel') ? h('button', { type: 'button', class: 'link-button', 'data-action': 'cancel' }, t('runner.cancel')) : null;
  const all = cancel ? [...buttons, cancel] : buttons;
  // With autofill the passkeys method is a form: the username field (autocomplete "username webauthn", where the
  // browser offers the passkeys) and the button as its submit, so typing a name and pressing Enter prompts too.
  const usernameField = autofill
    ? h('input', {
        id: 'field-username',
        name: 'username',
        type: 'text',
        autocomplete: 'username webauthn',
        autocapitalize: 'none',
        spellcheck: 'false',
        maxlength: '256',
        'aria-describedby': 'field-username-hint',
      })
    : null;
  const signIn = () =>
    void act(
      all,
      t('runner.waiting'),
      // The SDK aborts the waiting autofill request before it prompts (one WebAuthn request at a time).
      () => step.signInWithPasskey(),
      (error) => {
        if (usernameField && !isDeadSession(error)) armAutofill(step, usernameField);
        // Dismissing the passkey prompt leaves the user on the form (the SDK throws KeywayNotAllowedError; the step stays open).
        if (error instanceof KeywayWebError && error.code === 'ERR_NOT_ALLOWED') {
          showError(t('error.notAllowed'), { label: t('runner.tryAgain'), run: () => passkey?.click() });
          return true;
        }
        return false;
      },
    );
  const passkeyForm =
    passkey && usernameField
      ? h(
          'form',
          { class: 'stack', novalidate: true, 'data-form': 'login' },
          h(
            'div',
            // Shown once the browser says it can offer passkeys there.
            { class: 'field', hidden: true },
            h('label', { for: usernameField.id }, t('runner.login.username')),
            usernameField,
            h('p', { id: 'field-username-hint', class: 'hint' }, t('runner.login.usernameHint')),
          ),
          passkey,
        )
      : null;
  const others = passkeyForm ? buttons.filter((b) => b !== passkey) : buttons;
  if (passkeyForm)
    passkeyForm.addEventListener('submit', (event) => {
      event.preventDefault();
      signIn();
    });
  else passkey?.addEventListener('click', signIn);
  for (const { button, id } of custom) button.addEventListener('click', () => void act(all, t('runner.sending'), () => step.branch(id, {})));
  cancel?.addEventListener('click', () => void act(all, t('runner.sending'), () => step.cancel()));
  draw(
    t('runner.login.title'),
    h('p', { class: 'lead' }, buttons.length > 0 ? t('runner.login.lead') : t('runner.login.noMethod')),
    passkeyForm,
    others.length > 0 ? h('div', { class: 'stack' }, ...others) : null,
    cancel ? h('div', { class: 'button-row' }, cancel) : null,
  );
  stepRoot.dataset.kind = step.kind;
  if (usernameField) armAutofill(step, usernameField);
  if (passkey && !isWebAuthnAvailable()) {
    showError(t('common.unsupported'));
    passkey.disabled = true;
  } else if (step.previousError) {
    // The journey came back here because it refused the passkey: say so, and offer the passkey again.
    const key = `error.${step.previousError.code}` as RunnerMessageKey;
    const text = key in data.messages ? t(key) : t('runner.login.refused');
    showError(text, passkey ? { label: t('runner.tryAgain'), run: () => passkey.click() } : undefined);
  }
}

function drawCustomPage(step: Extract<ClientStep, { kind: 'customPage' }>): void {
  // No allow-same-origin: the page gets an opaque origin (no cookies, no storage, no access to this page).
  const frame = h('iframe', {
    class: 'custom-page',
    src: step.page.url,
    sandbox: 'allow-scripts allow-forms',
    title: t('runner.page.title'),
    referrerpolicy: 'no-referrer',
  });
  const cancel = h('button', { type: 'button', class: 'link-button', 'data-action': 'cancel' }, t('runner.page.cancel'));
  // The page brings its own visible heading; the runner's names the step for screen readers (not by the page's
  // name, which is the administrators').
  draw(h('h1', { class: 'visually-hidden' }, t('runner.page.title')), frame, h('div', { class: 'button-row' }, cancel));
  stepRoot.dataset.kind = step.kind;
  const controller = new AbortController();
  pageAbort = controller;
  const mine = generation;
  step.attach(frame, { signal: controller.signal }).then(
    (next) => {
      if (mine === generation) show(next);
    },
    (error: unknown) => {
      if (mine !== generation || controller.signal.aborted) return;
      showError(describe(error), isDeadSession(error) && data.startable ? { label: t('runner.startAgain'), run: () => void begin(true) } : undefined);
    },
  );
  cancel.addEventListener('click', () => void act([cancel], t('runner.sending'), () => step.cancel()));
}

/** E-mail One-Time Code (general.emailOtp): one code field, a new code on request, cancel. */
function drawEmailOtp(step: Extract<ClientStep, { kind: 'other' }>): void {
  const otp = (step.data ?? {}) as { destination?: string; codeLength?: number; attemptsLeft?: number; previousError?: { code: string }; notice?: string };
  const length = otp.codeLength ?? 6;
  const input = h('input', {
    id: 'otp-code',
    name: 'code',
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]*',
    maxlength: String(length),
    spellcheck: 'false',
    'aria-required': 'true',
  });
  const error = h('p', { id: 'otp-code-error', class: 'field-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('runner.emailOtp.submit'));
  const resend = step.options.includes('resend')
    ? h('button', { type: 'button', class: 'link-button', 'data-action': 'resend' }, t('runner.emailOtp.resend'))
    : null;
  const cancel = step.options.includes('cancel') ? h('button', { type: 'button', class: 'link-button', 'data-action': 'cancel' }, t('runner.cancel')) : null;
  const buttons = [submit, resend, cancel].filter((b): b is HTMLButtonElement => b !== null);
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'otp-code' }, t('runner.emailOtp.code')), input, error),
    h('div', { class: 'button-row' }, submit, cancel),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = input.value.trim();
    if (!new RegExp(`^\\d{${length}}$`).test(code)) {
      error.textContent = t('runner.emailOtp.required', { length });
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', error.id);
      input.focus();
      return;
    }
    void act(buttons, t('runner.sending'), () => step.respond('client_input', { code }));
  });
  resend?.addEventListener('click', () => void act(buttons, t('runner.sending'), () => step.respond('resend')));
  cancel?.addEventListener('click', () => void act(buttons, t('runner.sending'), () => step.respond('cancel')));
  draw(
    t('runner.emailOtp.title'),
    h('p', { class: 'lead' }, t('runner.emailOtp.lead', { length, destination: otp.destination ?? '' })),
    form,
    resend ? h('p', { class: 'aside' }, resend) : null,
  );
  stepRoot.dataset.kind = 'emailOtp';
  if (otp.previousError?.code === 'OTP_INVALID') {
    showError(t('runner.emailOtp.invalid', { attemptsLeft: otp.attemptsLeft ?? 0 }));
    input.focus();
  } else if (otp.previousError?.code === 'OTP_RESEND_LIMIT') showError(t('runner.emailOtp.resendLimit'));
  else if (otp.previousError?.code === 'RATE_LIMITED') showError(t('runner.emailOtp.tooMany'));
  else if (otp.notice === 'resent') status(t('runner.emailOtp.resent'));
}

/**
 * Select Organization (general.selectOrganization) with several memberships: one button per organization (its name
 * and the user's roles there, both in the button's accessible name); a click answers `client_input` with its id.
 */
function drawSelectOrganization(step: Extract<ClientStep, { kind: 'other' }>): void {
  const offered = ((step.data ?? {}) as { organizations?: Array<{ id: string; name: string; roles?: string[] }> }).organizations ?? [];
  const buttons = offered.map((organization) => {
    const roles = organization.roles ?? [];
    const button = h(
      'button',
      { type: 'button', class: 'secondary choice', 'data-organization': organization.id },
      h('span', { class: 'choice-name' }, organization.name),
      h('span', { class: 'choice-detail' }, roles.length > 0 ? t('runner.organization.roles', { roles: roles.join(', ') }) : t('runner.organization.noRoles')),
    );
    return { button, id: organization.id };
  });
  const cancel = step.options.includes('cancel') ? h('button', { type: 'button', class: 'link-button', 'data-action': 'cancel' }, t('runner.cancel')) : null;
  const all = [...buttons.map((b) => b.button), ...(cancel ? [cancel] : [])];
  for (const { button, id } of buttons)
    button.addEventListener(
      'click',
      () => void act([button, ...all.filter((b) => b !== button)], t('runner.sending'), () => step.respond('client_input', { organizationId: id })),
    );
  cancel?.addEventListener('click', () => void act(all, t('runner.sending'), () => step.respond('cancel')));
  draw(
    t('runner.organization.title'),
    h('p', { class: 'lead', id: 'organization-lead' }, t('runner.organization.lead')),
    h('ul', { class: 'choices', 'aria-labelledby': 'step-title' }, ...buttons.map(({ button }) => h('li', {}, button))),
    cancel ? h('div', { class: 'button-row' }, cancel) : null,
  );
  stepRoot.dataset.kind = 'selectOrganization';
}

function drawUnsupported(step: Extract<ClientStep, { kind: 'other' }>): void {
  draw(t('runner.unsupportedStep.title'), h('p', { class: 'lead' }, t('runner.unsupportedStep.body', { type: step.stepType })));
  stepRoot.dataset.kind = 'other';
  if (step.options.includes('cancel')) {
    const cancel = h('button', { type: 'button', class: 'secondary', 'data-action': 'cancel' }, t('runner.cancel'));
    cancel.addEventListener('click', () => void act([cancel], t('runner.sending'), () => step.respond('cancel')));
    stepRoot.append(cancel);
  }
}

/**
 * Success is never a dead end: the page's `return_to`, else the store's application, else the store's passkeys
 * page; with none of them, the user is told they may close the window.
 */
function drawSuccess(user: string | undefined): void {
  const next = sameOriginReturnTo() ?? data.applicationUrl;
  const action = next
    ? h('a', { href: next, class: 'button-link', 'data-action': 'continue' }, t('runner.success.continue'))
    : data.accountUrl
      ? h('a', { href: data.accountUrl, class: 'button-link', 'data-action': 'account' }, t('runner.success.account'))
      : h('p', {}, t('runner.success.close'));
  draw(
    t('runner.success.title'),
    h('p', { class: 'lead success' }, user === undefined ? t('runner.success.done') : t('runner.success.signedIn', { user })),
    action,
  );
  stepRoot.dataset.kind = 'success';
}

function drawRejection(code: string): void {
  const key = `rejection.${code}` as RunnerMessageKey;
  const text = key in data.messages ? t(key) : t('rejection.generic', { code });
  const again = data.startable ? h('button', { type: 'button', class: 'primary', 'data-action': 'start-again' }, t('runner.startAgain')) : null;
  again?.addEventListener('click', () => void begin(true));
  // The page that sent the user here learns the outcome itself (a sign-in of an application answers it "denied").
  const back = sameOriginReturnTo();
  const leave = back ? h('a', { href: back, class: 'button-link', 'data-action': 'continue' }, t('runner.success.continue')) : null;
  draw(t('runner.rejection.title'), h('p', { class: 'lead', 'data-code': code }, text), again, leave);
  stepRoot.dataset.kind = 'rejection';
}

// ── start ──

/** Continues the session in the URL fragment (`#session=…`, from an application that started the journey) or this tab's, else starts. */
async function begin(fresh = false): Promise<void> {
  generation += 1;
  clearMessages();
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('session') ?? undefined;
  if (fromFragment) {
    // The session id is a bearer secret: out of the address bar and history at once.
    history.replaceState(null, '', location.pathname + location.search);
    remember(fromFragment);
  }
  const sessionId = fresh ? undefined : remembered();
  if (fresh) remember(undefined);
  try {
    if (sessionId) {
      try {
        return show(await resumeJourney({ ...client, sessionId }));
      } catch (error) {
        remember(undefined);
        if (!data.startable || !isDeadSession(error)) throw error;
      }
    }
    if (!data.startable) {
      showError(t('error.UNAUTHENTICATED'));
      return;
    }
    // `?organization=<id>`: the browser names the organization to sign in to (the server narrows the choice to it).
    const organization = new URLSearchParams(location.search).get('organization') ?? undefined;
    show(await startJourney({ ...client, journeyId: data.journeyId, organization }));
  } catch (error) {
    document.getElementById('loading')?.setAttribute('hidden', '');
    showError(describe(error), { label: t('runner.tryAgain'), run: () => void begin() });
  }
}

// An application may hand over a session on a page that is already open (a same-document navigation).
window.addEventListener('hashchange', () => {
  if (new URLSearchParams(location.hash.slice(1)).has('session')) void begin();
});
void begin();
