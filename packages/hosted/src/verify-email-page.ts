// E-mail verification: the one-time token is in the URL fragment (never sent to a server or a Referer); the page
// sends it once and says whether the address is now confirmed.
import { loadPage } from './page-kit.ts';

const page = loadPage();
const token = decodeURIComponent(location.hash.replace(/^#/, ''));

async function verify(): Promise<void> {
  if (token === '') {
    page.error(page.t('verifyEmail.missing'));
    return;
  }
  page.status(page.t('verifyEmail.checking'));
  try {
    const { email } = await page.keyway.verifyEmail(token);
    // The link is spent: drop it from the address bar and history.
    history.replaceState(null, '', location.pathname + location.search);
    page.status(page.t('verifyEmail.done', { email }));
  } catch (error) {
    page.error(page.describe(error) ?? page.t('error.generic'));
  }
}

void verify();
