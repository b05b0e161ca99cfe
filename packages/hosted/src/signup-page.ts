// Sign up: a username and an optional display name, then the browser creates the passkey.
import { element, isAboutIdentifier, loadPage } from './page-kit.ts';

const page = loadPage();
const form = document.getElementById('signup-form') as HTMLFormElement | null;

if (form) {
  const identifier = element<HTMLInputElement>('identifier');
  const displayName = element<HTMLInputElement>('display-name');
  const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    page.clear();
    const value = identifier.value.trim();
    if (value === '') {
      page.error(page.t('error.required'), identifier);
      return;
    }
    void page.busy([submit], async () => {
      page.status(page.t('common.working'));
      try {
        const name = displayName.value.trim();
        await page.keyway.register({ identifier: value, ...(name ? { displayName: name } : {}) });
        page.status(page.t('signup.done'));
        location.assign(page.continueUrl());
      } catch (error) {
        const message = page.describe(error);
        if (message) page.error(message, isAboutIdentifier(error) ? identifier : undefined);
        else page.clear();
      }
    });
  });
  page.enablePasskeyButtons(submit);
}
