export interface QuickstartPageOptions {
  /** Keyway's public URL, e.g. http://localhost:8080 */
  keywayUrl: string;
  tenant: string;
  store: string;
}

/**
 * The smallest page of one's own that signs up and signs in with a passkey: `@keyway/web` loaded
 * from Keyway (served to any origin), the store's self-service API called across origins (CORS
 * with credentials for the relying party's origins). It avoids `$` and backticks, so it can be
 * pasted into a shell here-document unchanged. The buttons are enabled once the SDK has loaded, so an early
 * click is never silently lost.
 */
export function quickstartPage({ keywayUrl, tenant, store }: QuickstartPageOptions): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>My app</title>
<label>Username <input id="username" autocomplete="username"></label>
<button id="sign-up" disabled>Sign up with a passkey</button>
<button id="sign-in" disabled>Sign in with a passkey</button>
<p id="status" role="status"></p>
<script type="module">
  const { Keyway } = await import('${keywayUrl}/_keyway/web.js');
  const keyway = new Keyway({ baseUrl: '${keywayUrl}/${tenant}/identity/${store}' });
  const show = (text) => { document.getElementById('status').textContent = text; };
  const signedIn = ({ user }) => show('Signed in as ' + user.userKey);
  const failed = (error) => show(error.message);
  document.getElementById('sign-up').onclick = () => keyway.register({ identifier: document.getElementById('username').value }).then(signedIn, failed);
  document.getElementById('sign-in').onclick = () => keyway.signIn().then(signedIn, failed);
  for (const button of document.querySelectorAll('button')) button.disabled = false;
</script>
`;
}
