// Sign in: passkey autofill on the username field (conditional mediation), identifier-first with
// "Continue", and usernameless with "Sign in with a passkey".
import { isAutofillAvailable } from '../../web/src/capabilities.ts';
import { KeywayWebError } from '../../web/src/errors.ts';
import { element, isAboutIdentifier, loadPage } from './page-kit.ts';

const page = loadPage();
const form = element<HTMLFormElement>('signin-form');
const identifier = element<HTMLInputElement>('identifier');
const continueButton = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
const passkeyButton = element<HTMLButtonElement>('passkey-button');

// An OpenID Connect client's `login_hint` (OpenID Connect Core §3.1.2.1) pre-fills the identifier.
const loginHint = new URLSearchParams(location.search).get('login_hint');
if (loginHint && identifier.value === '') identifier.value = loginHint.slice(0, 256);
// "Create an account" keeps where the browser goes afterwards (the sign-up page checks it as this page does).
const returnTo = new URLSearchParams(location.search).get('return_to');
if (returnTo) {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('a[href$="/signup"]')) {
    const target = new URL(link.href);
    target.searchParams.set('return_to', returnTo);
    link.href = target.href;
  }
}

// Signed in, the page is leaving: it starts no other sign-in. A second one would end this one's session (the server
// rotates it), and its answer, with the new cookie, can be cut off by the navigation: the next page signed out.
let leaving = false;

function signedIn(): void {
  if (leaving) return;
  leaving = true;
  page.status(page.t('signin.done'));
  location.assign(page.continueUrl());
}

/**
 * Waits for the user to pick a passkey from the username field's suggestions. After a failure it is
 * re-armed on the user's next focus of the field, never in a loop (a browser that keeps refusing
 * must not turn into a stream of requests).
 */
async function startAutofill(): Promise<void> {
  if (leaving) return;
  const available = await isAutofillAvailable();
  // Visible state for tests and for styling: whether the field offers passkeys.
  identifier.dataset.autofill = available ? 'armed' : 'unavailable';
  if (!available) return;
  try {
    await page.keyway.autofill();
    signedIn();
  } catch (error) {
    // Cancelled means a modal request took over: it re-arms autofill when it is done.
    if (error instanceof KeywayWebError && error.code === 'ERR_CANCELLED') return;
    // NotAllowed here is the user closing the passkey sheet: nothing to explain.
    if (!(error instanceof KeywayWebError && error.code === 'ERR_NOT_ALLOWED')) {
      const message = page.describe(error);
      if (message) page.error(message);
    }
    identifier.addEventListener('focus', () => void startAutofill(), { once: true });
  }
}

async function modalSignIn(withIdentifier: boolean): Promise<void> {
  if (leaving) return;
  page.clear();
  const value = identifier.value.trim();
  if (withIdentifier && value === '') {
    page.error(page.t('error.required'), identifier);
    return;
  }
  await page.busy([continueButton, passkeyButton], async () => {
    page.status(page.t('common.working'));
    try {
      await page.keyway.signIn(withIdentifier ? { identifier: value } : {});
      signedIn();
    } catch (error) {
      const message = page.describe(error);
      if (message) page.error(message, withIdentifier && isAboutIdentifier(error) ? identifier : undefined);
      else page.clear();
      void startAutofill();
    }
  });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void modalSignIn(true);
});
passkeyButton.addEventListener('click', () => void modalSignIn(false));

if (page.enablePasskeyButtons(continueButton, passkeyButton)) void startAutofill();
