// Account recovery: the one-time token is in the URL fragment (never sent to a server or a Referer).
// The page shows whose account it is, then registers a new passkey, optionally revoking the others.
import { isWebAuthnAvailable } from '../../web/src/capabilities.ts';
import { element, loadPage } from './page-kit.ts';

const page = loadPage();
const form = element<HTMLFormElement>('recover-form');
const account = element('recover-account');
const revokeOthers = element<HTMLInputElement>('revoke-others');
const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
const token = decodeURIComponent(location.hash.replace(/^#/, ''));

async function check(): Promise<void> {
  if (token === '') {
    page.error(page.t('recover.missing'));
    return;
  }
  if (!isWebAuthnAvailable()) {
    page.error(page.t('common.unsupported'));
    return;
  }
  page.status(page.t('recover.checking'));
  try {
    const { user } = await page.keyway.recoveryDetails(token);
    account.textContent = user.displayName ? `${user.displayName} (${user.userKey})` : user.userKey;
    form.hidden = false;
    page.clear();
  } catch (error) {
    page.error(page.describe(error) ?? page.t('error.generic'));
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  page.clear();
  void page.busy([submit], async () => {
    page.status(page.t('common.working'));
    try {
      await page.keyway.recover({ token, revokeOthers: revokeOthers.checked });
      // The link is spent: drop it from the address bar and history.
      history.replaceState(null, '', location.pathname + location.search);
      form.hidden = true;
      page.status(page.t('recover.done'));
      location.assign(page.url('passkeys'));
    } catch (error) {
      const message = page.describe(error);
      if (message) page.error(message);
      else page.clear();
    }
  });
});

// Another link opened in this tab only changes the fragment: start over with its token.
window.addEventListener('hashchange', () => location.reload());
void check();
