// The few pages the OpenID Provider shows itself: an error that must not be redirected (an unknown client or
// redirect URI, RFC 6749 §4.1.2.1), the logout confirmation, the signed-out page, and the consent screen of a
// third-party client. Plain, self-contained HTML: no script, one small inline-free stylesheet.

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="icon" href="data:,"></head>
<body><main>${body}</main></body></html>`;
}

/** An error the browser's user sees (never redirected): the OAuth error code and its description. */
export function errorPage(out: { error?: string; error_description?: string }): string {
  const code = escapeHtml(out.error ?? 'server_error');
  const description = escapeHtml(out.error_description ?? 'The request could not be processed.');
  return page('Sign-in error', `<h1>Sign-in error</h1><p id="error-code" data-error="${code}">${code}</p><p id="error-description">${description}</p>`);
}

/** RP-initiated logout's confirmation (OpenID Connect RP-Initiated Logout §2): `form` is the provider's, with its xsrf token. */
export function logoutPage(form: string): string {
  return page(
    'Sign out',
    `<h1>Sign out?</h1><p>You will be signed out of every application that uses this sign-in.</p>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

export function loggedOutPage(): string {
  return page('Signed out', '<h1>Signed out</h1><p>You are signed out.</p>');
}

/** The consent screen of a third-party client: what it asks for, to allow or deny. */
export function consentPage(input: { clientName: string; scopes: string[]; allowAction: string; denyAction: string }): string {
  const items = input.scopes.map((scope) => `<li>${escapeHtml(SCOPE_TEXT[scope] ?? scope)}</li>`).join('');
  return page(
    'Allow access',
    `<h1>${escapeHtml(input.clientName)} wants to sign you in</h1><p>It asks for:</p><ul>${items}</ul>
<form method="post" action="${escapeHtml(input.allowAction)}"><button type="submit" autofocus>Allow</button></form>
<form method="post" action="${escapeHtml(input.denyAction)}"><button type="submit">Deny</button></form>`,
  );
}

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Your identity (a user identifier)',
  profile: 'Your name, date of birth, language and time zone',
  email: 'Your e-mail address',
  phone: 'Your phone number',
  address: 'Your postal address',
  offline_access: 'Access while you are away (stays signed in)',
};
