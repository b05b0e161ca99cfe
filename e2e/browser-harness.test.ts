// Proves the real-browser harness on its own (no Keyway server): Debian Chromium launches, the page on
// http://localhost:<port> is a secure context, and Chrome's virtual authenticator answers WebAuthn
// create/get driven by the native JSON methods. If this file fails, the passkey e2e tests cannot be trusted.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { base64ToBase64Url, launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { attestationFormat, parseAuthenticatorData } from './support/webauthn-data.ts';
import { createCredentialInPage, expectCredential, getAssertionInPage, startRelyingPartyPage } from './support/relying-party-page.ts';
import type { RelyingPartyPageServer } from './support/relying-party-page.ts';

function creationOptions(overrides: Record<string, unknown> = {}) {
  return {
    challenge: randomBytes(32).toString('base64url'),
    rp: { id: 'localhost', name: 'Harness RP' },
    user: { id: randomBytes(16).toString('base64url'), name: 'harness@example.com', displayName: 'Harness User' },
    pubKeyCredParams: [
      { type: 'public-key', alg: -7 },
      { type: 'public-key', alg: -257 },
    ],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    attestation: 'none',
    timeout: 30_000,
    ...overrides,
  };
}

describe('real-browser harness (Chromium + virtual authenticator, no server)', () => {
  let browser: Browser;
  let rpPage: RelyingPartyPageServer;
  const opened: WebAuthnPage[] = [];

  before(async () => {
    [browser, rpPage] = await Promise.all([launchChromium(), startRelyingPartyPage()]);
  });
  after(async () => {
    for (const page of opened) await page.close();
    await browser?.close();
    await rpPage?.close();
  });

  async function openPage(): Promise<WebAuthnPage> {
    const page = await WebAuthnPage.open(browser, rpPage.origin);
    opened.push(page);
    return page;
  }

  test('the page is a secure context on http://localhost:<port> with the WebAuthn JSON methods', async () => {
    const page = await openPage();
    const facts = await page.page.evaluate(() => ({
      origin: location.origin,
      secure: window.isSecureContext,
      parseCreation: typeof PublicKeyCredential.parseCreationOptionsFromJSON,
      parseRequest: typeof PublicKeyCredential.parseRequestOptionsFromJSON,
    }));
    assert.deepEqual(facts, { origin: rpPage.origin, secure: true, parseCreation: 'function', parseRequest: 'function' });
  });

  test('navigator.credentials.create then get with hand-made options, checked against the virtual authenticator', async () => {
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    const options = creationOptions();

    const created = expectCredential(await createCredentialInPage(page.page, options), 'create');
    assert.equal(created.type, 'public-key');
    assert.equal(created.id, created.rawId);
    const clientData = JSON.parse(Buffer.from(created.response.clientDataJSON, 'base64url').toString('utf8'));
    assert.equal(clientData.type, 'webauthn.create');
    assert.equal(clientData.challenge, options.challenge);
    assert.equal(clientData.origin, rpPage.origin);
    assert.equal(attestationFormat(created.response.attestationObject!), 'none');

    const [stored, ...others] = await page.getCredentials(authenticatorId);
    assert.equal(others.length, 0);
    assert.ok(stored);
    assert.equal(base64ToBase64Url(stored.credentialId), created.id);
    assert.equal(stored.rpId, 'localhost');
    assert.equal(stored.isResidentCredential, true);
    assert.equal(base64ToBase64Url(stored.userHandle!), options.user.id);

    const challenge = randomBytes(32).toString('base64url');
    const asserted = expectCredential(
      await getAssertionInPage(page.page, {
        challenge,
        rpId: 'localhost',
        userVerification: 'required',
        allowCredentials: [{ type: 'public-key', id: created.id }],
      }),
      'get',
    );
    assert.equal(asserted.id, created.id);
    assert.equal(asserted.response.userHandle, options.user.id);
    const authData = parseAuthenticatorData(asserted.response.authenticatorData!);
    assert.deepEqual(authData.rpIdHash, createHash('sha256').update('localhost').digest());
    assert.equal(authData.flags.up, true);
    assert.equal(authData.flags.uv, true);
    const [afterGet] = await page.getCredentials(authenticatorId);
    assert.equal(authData.signCount, afterGet!.signCount);
    assert.ok(afterGet!.signCount > stored.signCount, 'the virtual authenticator advances its counter on each assertion');
  });

  test('an authenticator that cannot verify the user is refused by the browser itself (NotAllowedError) when UV is required', async () => {
    const page = await openPage();
    await page.addVirtualAuthenticator({ ...PLATFORM_AUTHENTICATOR, hasUserVerification: false, isUserVerified: false });
    const result = await createCredentialInPage(page.page, creationOptions());
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.name, 'NotAllowedError');
  });

  test('a u2f authenticator answers direct attestation with fido-u2f', async () => {
    const page = await openPage();
    await page.addVirtualAuthenticator({ protocol: 'u2f', transport: 'usb', hasResidentKey: false, hasUserVerification: false });
    const created = expectCredential(
      await createCredentialInPage(
        page.page,
        creationOptions({ authenticatorSelection: { residentKey: 'discouraged', userVerification: 'discouraged' }, attestation: 'direct' }),
      ),
      'create',
    );
    assert.equal(attestationFormat(created.response.attestationObject!), 'fido-u2f');
  });
});
