// E-mail verification: the one-time token is in the URL fragment (never sent to a server or a Referer). Opening the
// link changes nothing: the address may have been typed at sign-up by someone else (pre-hijacking), and a click on the
// unexpected e-mail, or a mail scanner that runs the page, must not verify their account. So the page first shows what
// the link is about (the account and when it was created, read without using the link) and the reader chooses:
// "Yes, confirm my address", or "No, I did not sign up" (the account named after the address is deleted, or the
// address removed from an account named otherwise; the server decides and says which).
import { KeywayServerError } from '../../web/src/errors.ts';
import type { EmailVerificationDetails } from '../../web/src/keyway.ts';
import { dateTimeFormat } from './format.ts';
import { element, loadPage } from './page-kit.ts';

const page = loadPage();
const token = decodeURIComponent(location.hash.replace(/^#/, ''));
const title = element('verify-title');
const details = element('verify-details');
const choice = element('verify-choice');
const confirmButton = element<HTMLButtonElement>('confirm-email');
const disownButton = element<HTMLButtonElement>('disown-email');
const disownHint = element('disown-hint');
const signUpLink = document.getElementById('verify-sign-up');
const dates = dateTimeFormat(page.data.lang);

/** The link's codes after which neither choice can work any more (others, such as RATE_LIMITED, may be retried). */
const SPENT = new Set(['EMAIL_VERIFICATION_NOT_FOUND', 'EMAIL_VERIFICATION_USED', 'EMAIL_VERIFICATION_EXPIRED', 'EMAIL_ALREADY_VERIFIED']);

/** The link is spent (or useless): drop it from the address bar and history. */
function forgetLink(): void {
  history.replaceState(null, '', location.pathname + location.search);
}

function show(link: EmailVerificationDetails): void {
  element('verify-account').textContent = link.userKey;
  element('verify-created').textContent = dates.format(new Date(link.createdAt));
  if (link.emailVerified) {
    // Nothing left to choose: confirming again changes nothing, and disowning a verified address is refused.
    choice.hidden = true;
    element('verify-verified').hidden = false;
  } else {
    disownHint.textContent = page.t(link.userKeyIsEmail ? 'verifyEmail.disownDeletes' : 'verifyEmail.disownRemoves');
    page.enable(confirmButton, disownButton);
  }
  details.hidden = false;
}

async function inspect(): Promise<void> {
  if (token === '') {
    page.error(page.t('verifyEmail.missing'));
    return;
  }
  page.status(page.t('verifyEmail.checking'));
  try {
    show(await page.keyway.emailVerificationDetails(token));
    page.clear();
  } catch (error) {
    page.error(page.describe(error) ?? page.t('error.generic'));
  }
}

/** Runs one of the two choices; afterwards the page says what happened, and focus goes to the page's heading. */
function choose(working: string, action: () => Promise<string>): void {
  page.clear();
  void page.busy([confirmButton, disownButton], async () => {
    page.status(working);
    try {
      const done = await action();
      forgetLink();
      details.hidden = true;
      title.focus();
      page.status(done);
    } catch (error) {
      page.error(page.describe(error) ?? page.t('error.generic'));
      if (error instanceof KeywayServerError && SPENT.has(error.problemCode)) {
        details.hidden = true;
        element('error').focus();
      }
    }
  });
}

confirmButton.addEventListener('click', () =>
  choose(page.t('verifyEmail.confirming'), async () => {
    const { email } = await page.keyway.verifyEmail(token);
    return page.t('verifyEmail.done', { email });
  }),
);

disownButton.addEventListener('click', () =>
  choose(page.t('verifyEmail.disowning'), async () => {
    const { email, outcome } = await page.keyway.disownEmail(token);
    if (outcome === 'emailRemoved') return page.t('verifyEmail.removed', { email });
    if (signUpLink) {
      // In the language the reader chose for this page, if they chose one.
      signUpLink.querySelector('a')!.href = page.url('signup');
      signUpLink.hidden = false;
    }
    return page.t('verifyEmail.deleted', { email });
  }),
);

// Another link opened in this tab only changes the fragment: start over with its token.
window.addEventListener('hashchange', () => location.reload());
void inspect();
