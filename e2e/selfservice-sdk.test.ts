// @keyway/web in a real browser, loaded exactly as the server serves it (/_keyway/web.js →
// the versioned, type-stripped modules): the WebAuthn Level 2 fallback (no native JSON methods), typed errors from real
// DOMExceptions and real problem answers, and the Signal API after an unknown credential.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { base64ToBase64Url, launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { setUpHostedStore } from './support/hosted-pages.ts';
import type { HostedStore } from './support/hosted-pages.ts';
import { startSelfServiceServer } from './support/selfservice-server.ts';
import type { SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const STORE = 'customers';

/** What a page-side SDK call settles to: its value, or the error's class, code and problem code. */
type Outcome = { ok: true; value: Record<string, unknown> } | { ok: false; name: string; code: string; problemCode?: string; status?: number; cause?: string };

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/**
 * Opens a same-origin page without a page script (the not-found shell, under the same strict CSP),
 * imports the served SDK into `window.keywaySdk` and makes `window.keyway` a client for the store.
 */
async function openSdkPage(server: SelfServiceServer, store: HostedStore, options: { level2?: boolean } = {}): Promise<WebAuthnPage> {
  // The SDK's stable address redirects to the versioned module the server built at start.
  const sdkUrl = (await fetch(`${server.http.baseUrl}/_keyway/web.js`, { redirect: 'manual' })).headers.get('location');
  assert.ok(sdkUrl?.startsWith('/_keyway/'), 'the SDK is served');
  const device = await WebAuthnPage.open(browser, `${server.origin}/${TENANT}/identity/no-such-store/signin`);
  await device.page.evaluate(
    async ({ url, base, level2 }) => {
      if (level2) {
        // A browser without WebAuthn Level 3's JSON methods.
        const statics = PublicKeyCredential as unknown as Record<string, unknown>;
        delete statics.parseCreationOptionsFromJSON;
        delete statics.parseRequestOptionsFromJSON;
        delete (PublicKeyCredential.prototype as unknown as Record<string, unknown>).toJSON;
      }
      const sdk = await import(url);
      const w = window as unknown as Record<string, unknown>;
      w.keywaySdk = sdk;
      w.keyway = new sdk.Keyway({ baseUrl: base });
    },
    { url: sdkUrl!, base: `/${TENANT}/identity/${STORE}`, level2: options.level2 ?? false },
  );
  return device;
}

/** Runs `keyway.<method>(arg)` in the page and reports how it settled. */
function call(page: Page, method: string, arg?: unknown, abortAfterMs?: number): Promise<Outcome> {
  return page.evaluate(
    async ({ method, arg, abortAfterMs }) => {
      const keyway = (window as unknown as { keyway: Record<string, (a: unknown) => Promise<unknown>> }).keyway;
      const input = abortAfterMs === undefined ? arg : { ...(arg as object), signal: AbortSignal.timeout(abortAfterMs) };
      try {
        const value = await keyway[method]!.call(keyway, input);
        return { ok: true as const, value: (value ?? {}) as Record<string, unknown> };
      } catch (error) {
        const e = error as { name: string; code: string; problemCode?: string; status?: number; cause?: { name?: string } };
        return { ok: false as const, name: e.name, code: e.code, problemCode: e.problemCode, status: e.status, cause: e.cause?.name };
      }
    },
    { method, arg, abortAfterMs },
  );
}

function expectOk(outcome: Outcome, what: string): Record<string, unknown> {
  if (!outcome.ok) assert.fail(`${what}: ${outcome.name} ${outcome.code} ${outcome.problemCode ?? ''} (cause ${outcome.cause})`);
  return outcome.value;
}

for (const kind of DATABASE_KINDS) {
  describe(`@keyway/web in Chromium (${kind})`, () => {
    let server: SelfServiceServer;
    let store: HostedStore;
    before(async () => {
      server = await startSelfServiceServer(kind);
      store = await setUpHostedStore(server, TENANT, STORE, 'Acme Customers');
    });
    after(async () => {
      await server?.close();
    });

    test(`register and sign in through the Level 2 fallback (no native JSON methods) (${kind})`, async () => {
      const device = await openSdkPage(server, store, { level2: true });
      try {
        assert.equal(
          await device.page.evaluate(() => typeof (PublicKeyCredential as unknown as Record<string, unknown>).parseCreationOptionsFromJSON),
          'undefined',
        );
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        const registered = expectOk(await call(device.page, 'register', { identifier: 'grace', displayName: 'Grace Hopper' }), 'register');
        assert.equal((registered.user as { userKey: string }).userKey, 'grace');
        const [stored] = await device.getCredentials(authenticator);
        assert.equal((registered.credential as { credentialId: string }).credentialId, base64ToBase64Url(stored!.credentialId));

        expectOk(await call(device.page, 'signOut'), 'signOut');
        const byIdentifier = expectOk(await call(device.page, 'signIn', { identifier: 'grace' }), 'identifier-first sign-in');
        assert.match(byIdentifier.idToken as string, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'an ID token (JWS compact)');
        const usernameless = expectOk(await call(device.page, 'signIn', {}), 'usernameless sign-in');
        assert.equal((usernameless.user as { userKey: string }).userKey, 'grace');
        const me = expectOk(await call(device.page, 'me'), 'me');
        assert.equal((me.user as { displayName: string }).displayName, 'Grace Hopper');
      } finally {
        await device.close();
      }
    });

    test(`typed errors: server problem with its code, not allowed, cancelled, unsupported (${kind})`, async () => {
      const device = await openSdkPage(server, store);
      try {
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        expectOk(await call(device.page, 'register', { identifier: 'linus' }), 'register');
        // Sign-up tells that an identifier is taken (it must).
        assert.deepEqual(await call(device.page, 'register', { identifier: 'linus' }), {
          ok: false,
          name: 'KeywayServerError',
          code: 'ERR_SERVER',
          problemCode: 'IDENTIFIER_TAKEN',
          status: 409,
          cause: undefined,
        });
        // The authenticator cannot verify the user but the policy requires it: the browser says NotAllowedError.
        await device.setUserVerified(authenticator, false);
        const refused = await call(device.page, 'signIn', { identifier: 'linus' });
        assert.equal(refused.ok, false);
        assert.deepEqual(
          [!refused.ok && refused.name, !refused.ok && refused.code, !refused.ok && refused.cause],
          ['KeywayNotAllowedError', 'ERR_NOT_ALLOWED', 'NotAllowedError'],
        );
        await device.setUserVerified(authenticator, true);
        // The caller's AbortSignal: cancelled. The authenticator is away, so the request waits until aborted.
        const credentials = await device.getCredentials(authenticator);
        await device.removeVirtualAuthenticator(authenticator);
        const aborted = await call(device.page, 'signIn', {}, 300);
        assert.deepEqual([!aborted.ok && aborted.name, !aborted.ok && aborted.code], ['KeywayCancelledError', 'ERR_CANCELLED']);
        // No authenticator: Chrome reports no conditionalGet capability, so autofill is unsupported here.
        const autofill = await call(device.page, 'autofill', {});
        assert.deepEqual([!autofill.ok && autofill.name, !autofill.ok && autofill.code], ['KeywayUnsupportedError', 'ERR_UNSUPPORTED']);
        const back = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        for (const credential of credentials) await device.addCredential(back, credential);
        expectOk(await call(device.page, 'signIn', { identifier: 'linus' }), 'sign-in works again');
      } finally {
        await device.close();
      }
    });

    test(`autofill() and signIn() in the same moment: only the modal request runs, autofill says cancelled; one session (${kind})`, async () => {
      const device = await openSdkPage(server, store);
      try {
        await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        const registered = expectOk(await call(device.page, 'register', { identifier: 'hedy' }), 'register');
        const userId = (registered.user as { id: string }).id;
        expectOk(await call(device.page, 'signOut'), 'signOut');
        const calls = await device.page.evaluate(async () => {
          const keyway = (window as unknown as { keyway: { autofill(): Promise<unknown>; signIn(): Promise<unknown> } }).keyway;
          const made: string[] = [];
          const get = navigator.credentials.get.bind(navigator.credentials);
          navigator.credentials.get = (options) => {
            made.push(options?.mediation ?? 'modal');
            return get(options);
          };
          const settle = (promise: Promise<unknown>) =>
            promise.then(
              () => 'signed in',
              (error: { code?: string }) => error.code,
            );
          // Autofill first, the button in the same task: autofill has not reached its request yet. The authenticator
          // holds the passkey, so a conditional request that started would be answered at once: a second sign-in.
          const autofill = settle(keyway.autofill());
          const signIn = settle(keyway.signIn());
          return { autofill: await autofill, signIn: await signIn, made };
        });
        assert.deepEqual(calls, { autofill: 'ERR_CANCELLED', signIn: 'signed in', made: ['modal'] });
        const sessions = store.backend.expect(await store.backend.call('GET', `/api/identity-store/stores/${STORE}/users/${userId}/sessions`), 200);
        assert.equal(sessions.body.items.length, 1, 'one sign-in: one live session');
      } finally {
        await device.close();
      }
    });

    test(`a rename tells the authenticator the account's current names (signalCurrentUserDetails) (${kind})`, async () => {
      const device = await openSdkPage(server, store);
      try {
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        const registered = expectOk(await call(device.page, 'register', { identifier: 'katherine', displayName: 'Katherine Johnson' }), 'register');
        const credentialId = (registered.credential as { credentialId: string }).credentialId;
        // The authenticator's copy of the account names is stale (as after a change elsewhere).
        const [stored] = await device.getCredentials(authenticator);
        assert.equal(stored!.userDisplayName, 'Katherine Johnson');
        await device.removeCredential(authenticator, stored!.credentialId);
        await device.addCredential(authenticator, { ...stored!, userName: 'k.old', userDisplayName: 'K. Old' });
        assert.equal((await device.getCredentials(authenticator))[0]!.userDisplayName, 'K. Old');
        const outcome = await device.page.evaluate(
          async ({ id }) => {
            const keyway = (window as unknown as { keyway: { renamePasskey(id: string, name: string): Promise<{ name: string }> } }).keyway;
            return (await keyway.renamePasskey(id, 'Laptop')).name;
          },
          { id: credentialId },
        );
        assert.equal(outcome, 'Laptop');
        const [after] = await device.getCredentials(authenticator);
        assert.deepEqual([after!.userName, after!.userDisplayName], ['katherine', 'Katherine Johnson'], 'the provider shows the server’s names again');
      } finally {
        await device.close();
      }
    });

    test(`an unknown credential is signalled to the authenticator (signalUnknownCredential) (${kind})`, async () => {
      const device = await openSdkPage(server, store);
      try {
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        const registered = expectOk(await call(device.page, 'register', { identifier: 'margaret' }), 'register');
        const userId = (registered.user as { id: string }).id;
        const credentialId = (registered.credential as { credentialId: string }).credentialId;
        // The passkey is deleted on the server (by an administrator) but the authenticator still has it.
        store.backend.expect(await store.backend.call('DELETE', `/api/identity-store/stores/${STORE}/users/${userId}/passkeys/${credentialId}`), 204);
        assert.equal((await device.getCredentials(authenticator)).length, 1);
        const outcome = await call(device.page, 'signIn', {});
        assert.deepEqual([!outcome.ok && outcome.problemCode, !outcome.ok && outcome.status], ['CREDENTIAL_NOT_FOUND', 400]);
        assert.deepEqual(await device.getCredentials(authenticator), [], 'the SDK told the authenticator, which dropped the passkey');
      } finally {
        await device.close();
      }
    });
  });
}
