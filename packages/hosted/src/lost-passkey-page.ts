// "I lost my passkey": the user gives their account's e-mail address and the server e-mails a one-time link to the
// recovery page. The page says the same thing whatever the server found (it is told nothing either way).
import { element, loadPage } from './page-kit.ts';

const page = loadPage();
const form = document.getElementById('lost-passkey-form') as HTMLFormElement | null;

if (form) {
  const email = element<HTMLInputElement>('email');
  const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    page.clear();
    const value = email.value.trim();
    if (value === '' || !email.checkValidity()) {
      page.error(page.t(value === '' ? 'lostPasskey.required' : 'lostPasskey.invalid'), email);
      return;
    }
    void page.busy([submit], async () => {
      try {
        await page.keyway.requestRecoveryEmail({ email: value, language: page.data.lang });
        form.hidden = true;
        page.status(page.t('lostPasskey.sent'));
      } catch (error) {
        page.error(page.describe(error) ?? page.t('error.generic'));
      }
    });
  });
  page.enable(submit);
}
