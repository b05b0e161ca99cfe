// Device binding end to end in Debian Chromium with the virtual authenticator, on both databases: Register Passkeys
// with Bind Device keeps a non-extractable P-256 key in the browser's IndexedDB and binds it to the user and the
// passkey; Known Device Status recognises the device for that user, branches `unknown` in a fresh browser context
// (no key) and `knownForAnotherUser` for another user on the same device; a replayed proof is refused; a revoked
// device is `unknown` again; the ID token of a sign-in carries `device_keys`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium, WebAuthnPage } from './support/browser.ts';
import { checkView, enrolOperator, ensureConsoleBuilt, invitationLink } from './support/console.ts';
import { axeViolations } from './support/axe.ts';
import { REGISTRATION_POLICY, RP_ID, screenshot, watchPage } from './support/hosted-pages.ts';
import {
  Device,
  journeyScreenshot,
  publishJourney,
  recordRuntime,
  setUpJourneyTenant,
  STORE,
  waitForStep,
  type JourneyTenant,
} from './support/journey-runner.ts';
import { AUTHENTICATION_POLICY } from './support/hosted-pages.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  await ensureConsoleBuilt();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** Known Device Status's three outcomes as three ends: success for this user's device, a rejection code for the others. */
const statusEnds = {
  knownForThisUser: 'known',
  knownForAnotherUser: 'anotherUser',
  unknown: 'unknown',
};
const ENDS = [
  { id: 'known', type: 'general.end', parameters: { result: 'success' } },
  { id: 'anotherUser', type: 'general.end', parameters: { result: 'rejection', code: 'DEVICE_OF_ANOTHER_USER' } },
  { id: 'unknown', type: 'general.end', parameters: { result: 'rejection', code: 'DEVICE_UNKNOWN' } },
];

/** An application starts it for its signed-in user: Register Passkeys with Bind Device. */
const BIND_REGISTRATION = {
  schemaVersion: 1,
  name: 'Passkey with device binding',
  store: STORE,
  access: { public: false, apiClients: true },
  start: 'register',
  steps: [
    {
      id: 'register',
      type: 'mosaic.registerPasskeys',
      parameters: { bindDevice: true, failureBehavior: 'abort', relyingPartyId: RP_ID, registrationPolicy: REGISTRATION_POLICY },
      outcomes: { success: 'done', failure: 'done', cancel: 'done' },
    },
    { id: 'done', type: 'general.end', parameters: { result: 'success' } },
  ],
};

/** An application starts it for a user: is this browser one of theirs? */
const DEVICE_CHECK = {
  schemaVersion: 1,
  name: 'Is this a known device?',
  store: STORE,
  access: { public: false, apiClients: true },
  start: 'check',
  steps: [{ id: 'check', type: 'mosaic.knownDeviceStatus', parameters: {}, outcomes: statusEnds }, ...ENDS],
};

/** A passkey sign-in that then checks the device. */
const SIGN_IN_CHECK = {
  schemaVersion: 1,
  name: 'Sign in on a known device',
  store: STORE,
  access: { public: true },
  start: 'login',
  steps: [
    {
      id: 'login',
      type: 'mosaic.loginForm',
      parameters: { relyingPartyId: RP_ID, authenticationPolicy: AUTHENTICATION_POLICY },
      outcomes: { passkeys: 'authenticate', cancel: 'unknown' },
    },
    {
      id: 'authenticate',
      type: 'mosaic.passkeyAuthentication',
      parameters: { encodedResult: '${loginData.webauthn_encoded_result}' },
      outcomes: { success: 'check', failure: 'unknown' },
    },
    { id: 'check', type: 'mosaic.knownDeviceStatus', parameters: { outputVariable: 'device' }, outcomes: statusEnds },
    ...ENDS,
  ],
};

/** The runner's Login Form, once drawn (the runner moves focus to the step's heading last): click its passkey button. */
async function signInWithPasskey(page: Page): Promise<void> {
  const login = await waitForStep(page, 'loginForm', 'Sign in');
  await page.waitForFunction(() => document.activeElement?.id === 'step-title');
  // Playwright checks where a click landed as its mouse events arrive; when the runner redraws the form just then, it
  // retries a click that went through and finds the button busy, then gone. The step moving on answers the click.
  const clicked = login
    .getByRole('button', { name: 'Sign in with a passkey' })
    .click()
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  const movedOn = page
    .locator('#step:not([data-kind="loginForm"])')
    .waitFor({ timeout: 60_000 })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  const outcome = await Promise.race([clicked, movedOn]);
  if (outcome instanceof Error) throw outcome;
}

interface RuntimeBody {
  journeyStepId: string;
  sessionId: string;
  data: Record<string, unknown>;
}

for (const kind of DATABASE_KINDS) {
  describe(`device binding (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let webauthn: WebAuthnPage;
    let page: Page;
    let problems: () => string[];
    const shots = kind === 'sqlite';

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server);
      webauthn = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      page = webauthn.page;
      ({ problems } = watchPage(page));
      await new Device(webauthn).attach();
      await publishJourney(tenant.api, 'bind-registration', BIND_REGISTRATION);
      await publishJourney(tenant.api, 'device-check', DEVICE_CHECK);
      await publishJourney(tenant.api, 'sign-in-check', SIGN_IN_CHECK);
    });
    after(async () => {
      await webauthn?.close();
      await server?.close();
    });

    /** The API client starts `journeyId` for the user; the page continues it in the runner. */
    async function startFor(journeyId: string, userId: string, on: Page = page): Promise<RuntimeBody> {
      const started = await tenant.api.post(`/acme/journeys/${journeyId}/start`, { user: { userId } }, { origin: server.origin });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      await on.goto(tenant.runnerUrl(journeyId, `#session=${started.body.sessionId}`));
      return started.body as RuntimeBody;
    }

    /** The body of the next submit the page sends (the runner's own request). */
    function nextSubmit(on: Page): Promise<{ url: string; body: Record<string, unknown> }> {
      return on
        .waitForRequest((request) => request.url().endsWith('/submit'))
        .then((request) => ({ url: request.url(), body: request.postDataJSON() as Record<string, unknown> }));
    }

    const devicesOf = async (userId: string) =>
      tenant.backend.expect(await tenant.backend.call('GET', `/api/identity-store/stores/${STORE}/users/${userId}/devices`), 200).body.items as {
        id: string;
        keyId: string;
        credentialId: string | null;
        revokedAt: string | null;
      }[];

    let alice: { id: string };
    let bob: { id: string };
    let keyId: string;

    test('Register Passkeys with Bind Device: a non-extractable key in IndexedDB, its public key bound to the user and the passkey', async () => {
      alice = await tenant.backend.createUser({ userKey: 'alice', email: 'alice@example.com' });
      bob = await tenant.backend.createUser({ userKey: 'bob', email: 'bob@example.com' });
      await startFor('bind-registration', alice.id);
      const step = await waitForStep(page, 'registerPasskeys', 'Add a passkey');
      const submitted = nextSubmit(page);
      await step.getByRole('button', { name: 'Create a passkey' }).click();
      const sent = (await submitted).body;
      const deviceKey = (sent.data as { device_key: { publicKey: Record<string, unknown>; signature: string } }).device_key;
      assert.deepEqual(Object.keys(deviceKey.publicKey).sort(), ['crv', 'kty', 'x', 'y'], 'only the public JWK leaves the browser');
      await waitForStep(page, 'success', 'All done');

      const stored = await page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = indexedDB.open('keyway-device-keys');
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        const key = await new Promise<{ privateKey: CryptoKey; keyId: string }>((resolve, reject) => {
          const r = db.transaction('keys').objectStore('keys').get('acme/customers');
          r.onsuccess = () => resolve(r.result as { privateKey: CryptoKey; keyId: string });
          r.onerror = () => reject(r.error);
        });
        db.close();
        return { extractable: key.privateKey.extractable, algorithm: (key.privateKey.algorithm as EcKeyAlgorithm).namedCurve, keyId: key.keyId };
      });
      assert.deepEqual({ extractable: stored.extractable, algorithm: stored.algorithm }, { extractable: false, algorithm: 'P-256' });

      const devices = await devicesOf(alice.id);
      assert.equal(devices.length, 1);
      keyId = devices[0]!.keyId;
      assert.equal(keyId, stored.keyId, 'the browser and the server agree on the RFC 7638 thumbprint');
      const passkeys = await tenant.backend.listPasskeys(alice.id);
      assert.equal(devices[0]!.credentialId, passkeys[0]!.credentialId, 'bound with the passkey registered');
      assert.equal(devices[0]!.revokedAt, null);
      const audit = tenant.backend.expect(await tenant.backend.call('GET', '/api/audit?action=device.bind'), 200).body.items as { targetId: string }[];
      assert.deepEqual(
        audit.map((e) => e.targetId),
        [devices[0]!.id],
      );
      assert.deepEqual(problems(), []);
    });

    test('a passkey sign-in on the bound device: Known Device Status → knownForThisUser; the ID token carries device_keys', async () => {
      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('sign-in-check'));
      await signInWithPasskey(page);
      await waitForStep(page, 'success', 'All done');
      const end = (await answers.first((answer) => answer.body.journeyStepId === 'success')).body;
      assert.equal(answers.at(-1)?.body.journeyStepId, 'success', 'the journey ended there');
      const claims = decodeJwt(String(end.data?.idToken));
      assert.equal(claims.sub, alice.id);
      assert.deepEqual(claims.device_keys, [keyId]);
      assert.deepEqual(problems(), []);
    });

    test('a fresh browser context keeps no key: unknown; the same device with another user: knownForAnotherUser', async () => {
      const fresh = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      try {
        const submitted = nextSubmit(fresh.page);
        await startFor('device-check', alice.id, fresh.page);
        assert.deepEqual((await submitted).body.data, {}, 'no key, no proof (and none made)');
        const rejected = await waitForStep(fresh.page, 'rejection');
        await rejected.locator('[data-code="DEVICE_UNKNOWN"]').waitFor();
        assert.equal(await fresh.page.evaluate(() => indexedDB.databases().then((all) => all.length)), 1, 'the database is opened, but no key is made');
      } finally {
        await fresh.close();
      }

      await startFor('device-check', bob.id);
      const rejected = await waitForStep(page, 'rejection');
      await rejected.locator('[data-code="DEVICE_OF_ANOTHER_USER"]').waitFor();
      assert.deepEqual(problems(), []);
    });

    test('a replayed proof is refused: in another instance DEVICE_CHALLENGE_INVALID; in its own, the answered session is gone', async () => {
      const submitted = nextSubmit(page);
      await startFor('device-check', alice.id);
      const proof = await submitted;
      await waitForStep(page, 'success', 'All done');
      assert.equal(typeof (proof.body.data as { signature?: unknown }).signature, 'string');

      // The same proof again on its own (answered) session: that session id is spent.
      const again = await server.http.post(new URL(proof.url).pathname, proof.body, { origin: server.origin });
      assert.ok([404, 409, 410].includes(again.status), `answered session: ${again.status} ${JSON.stringify(again.body)}`);

      // The same proof in a new instance for the same user: not over this instance's challenge.
      const started = await tenant.api.post('/acme/journeys/device-check/start', { user: { userId: alice.id } }, { origin: server.origin });
      const { journeyStepId: _step, ...answer } = proof.body;
      const replayed = await server.http.post(`/acme/journeys/sessions/${started.body.sessionId}/submit`, answer, { origin: server.origin });
      assert.equal(replayed.status, 200);
      assert.equal(replayed.body.journeyStepId, 'rejection');
      assert.equal(replayed.body.data.code, 'DEVICE_CHALLENGE_INVALID');

      // A signature that does not verify over the right challenge: unknown.
      const third = await tenant.api.post('/acme/journeys/device-check/start', { user: { userId: alice.id } }, { origin: server.origin });
      const forged = await server.http.post(
        `/acme/journeys/sessions/${third.body.sessionId}/submit`,
        {
          clientResponseOptionId: 'client_input',
          data: { ...(proof.body.data as Record<string, unknown>), challenge: third.body.data.challenge },
        },
        { origin: server.origin },
      );
      assert.equal(forged.body.journeyStepId, 'rejection');
      assert.equal(forged.body.data.code, 'DEVICE_UNKNOWN');
    });

    test('self-service: My passkeys lists the bound devices, marks this browser, and revokes another (en, de; axe)', async () => {
      // A second browser binds itself to alice too.
      const other = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      try {
        await new Device(other).attach();
        await startFor('bind-registration', alice.id, other.page);
        await (await waitForStep(other.page, 'registerPasskeys', 'Add a passkey')).getByRole('button', { name: 'Create a passkey' }).click();
        await waitForStep(other.page, 'success', 'All done');
      } finally {
        await other.close();
      }
      const [mine, theirs] = await devicesOf(alice.id);
      assert.ok(mine && theirs && mine.keyId !== theirs.keyId, 'two devices, two keys');

      tenant.backend.expect(
        await tenant.backend.call('PATCH', `/api/identity-store/stores/${STORE}`, {
          selfService: {
            enabled: true,
            relyingPartyId: RP_ID,
            registrationPolicy: REGISTRATION_POLICY,
            authenticationPolicy: AUTHENTICATION_POLICY,
            allowSignUp: false,
          },
        }),
        200,
      );
      const base = `${server.origin}/acme/identity/${STORE}`;
      await page.goto(`${base}/signin`);
      // The page's autofill request may sign alice in by itself (one passkey on the authenticator) before the click lands;
      // a click while that sign-in finishes or the page leaves starts no second one (selfservice-sign-in-once.test.ts).
      const signedIn = page.waitForURL(`${base}/passkeys`);
      await Promise.race([
        signedIn,
        page
          .getByRole('button', { name: 'Sign in with a passkey' })
          .click()
          .catch(() => undefined),
      ]);
      await signedIn;
      const devices = page.getByRole('region', { name: 'Bound devices' });
      const mineItem = devices.locator(`li[data-id="${mine.id}"]`);
      const theirsItem = devices.locator(`li[data-id="${theirs.id}"]`);
      await mineItem.getByText('this browser').waitFor();
      assert.equal(await theirsItem.getByText('this browser').count(), 0);
      assert.deepEqual(await axeViolations(page), []);
      if (shots) await screenshot(page, 'devices-en');

      await theirsItem.getByRole('button', { name: `Revoke device ${theirs.keyId.slice(0, 8)}` }).click();
      await page.getByText(`Device ${theirs.keyId.slice(0, 8)} revoked.`).waitFor();
      await theirsItem.getByText('Revoked').waitFor();
      assert.equal(await theirsItem.getByRole('button').count(), 0);
      const after = await devicesOf(alice.id);
      assert.deepEqual(
        after.map((d) => d.revokedAt !== null),
        [false, true],
        'only the other device is revoked',
      );
      const audit = tenant.backend.expect(await tenant.backend.call('GET', `/api/audit?action=device.revoke&actor=self-service`), 200).body.items as {
        targetId: string;
      }[];
      assert.deepEqual(
        audit.map((e) => e.targetId),
        [theirs.id],
      );

      await page.goto(`${base}/passkeys?lang=de`);
      const geraete = page.getByRole('region', { name: 'Gebundene Geräte' });
      await geraete.locator(`li[data-id="${mine.id}"]`).getByText('dieser Browser').waitFor();
      assert.deepEqual(await axeViolations(page), []);
      if (shots) {
        await screenshot(page, 'devices-de');
        await page.emulateMedia({ colorScheme: 'dark' });
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'devices-dark-de');
        await page.emulateMedia({ colorScheme: 'light' });
        await page.setViewportSize({ width: 360, height: 740 });
        assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no horizontal scrolling at 360 px');
        await screenshot(page, 'devices-mobile-de');
        await page.setViewportSize({ width: 1280, height: 720 });
      }
      assert.deepEqual(problems(), []);
    });

    test('the console’s user page lists the bound device (en, de; axe, dark, 360 px) and revokes it', async () => {
      const [device] = await devicesOf(alice.id);
      const operator = await enrolOperator(browser, await invitationLink(server, 'acme', 'support'), 'Sam Support');
      try {
        const console = operator.page;
        await console.goto(`${server.origin}/acme/console/stores/${STORE}/users/${alice.id}?tab=devices`);
        const row = console.locator(`tr[data-device="${device!.id}"]`);
        await row.getByRole('cell', { name: keyId }).waitFor();
        await row.getByText('Active').waitFor();
        await checkView(console, `user-devices-${kind}`);
        await console.getByRole('button', { name: /Language/ }).click();
        await console.getByRole('option', { name: 'Deutsch' }).click();
        await console.getByRole('tab', { name: 'Geräte' }).waitFor();
        await row.getByText('Aktiv').waitFor();
        await checkView(console, `user-devices-de-${kind}`);
        await console.getByRole('button', { name: /Sprache/ }).click();
        await console.getByRole('option', { name: 'English' }).click();
        await row.getByRole('button', { name: 'Revoke' }).click();
        await console.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
        await row.getByText(/^Revoked/).waitFor();
        assert.equal(await row.getByRole('button', { name: 'Revoke' }).count(), 0, 'a revoked device cannot be revoked again');
      } finally {
        await operator.close();
      }
    });

    test('a revoked device is unknown again and leaves device_keys; revoking is audited, an unknown device is 404 DEVICE_NOT_FOUND', async () => {
      const [device] = await devicesOf(alice.id);
      assert.notEqual(device!.revokedAt, null, 'revoked in the console');
      const other = await tenant.backend.call('DELETE', `/api/identity-store/stores/${STORE}/users/${bob.id}/devices/${device!.id}`);
      assert.equal(other.status, 404, 'another user’s device');
      assert.equal(other.body.code, 'DEVICE_NOT_FOUND');
      assert.equal(
        (await tenant.backend.call('DELETE', `/api/identity-store/stores/${STORE}/users/${alice.id}/devices/${device!.id}`)).status,
        204,
        'again: no change',
      );
      const audit = tenant.backend.expect(await tenant.backend.call('GET', `/api/audit?action=device.revoke&target=${device!.id}`), 200).body.items as {
        actor: string;
      }[];
      assert.equal(audit.length, 1, 'revoked once, in the console; revoking again changed nothing');
      assert.match(audit[0]!.actor, /^kwo_/, 'by the operator');

      await startFor('device-check', alice.id);
      const rejected = await waitForStep(page, 'rejection');
      await rejected.locator('[data-code="DEVICE_UNKNOWN"]').waitFor();
      if (shots) await journeyScreenshot(page, 'device-unknown-en');

      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('sign-in-check'));
      await signInWithPasskey(page);
      await waitForStep(page, 'rejection');
      const signIn = await answers.first((a) => a.body.journeyStepId === 'rejection');
      assert.equal(signIn?.body.data?.code, 'DEVICE_UNKNOWN');

      // Both of alice's devices are revoked now: a sign-in's ID token has no device_keys.
      const plain = recordRuntime(page);
      await page.goto(tenant.runnerUrl('mosaic-passkey-sign-in'));
      await signInWithPasskey(page);
      await waitForStep(page, 'success', 'All done');
      const claims = decodeJwt(String((await plain.first((a) => a.body.journeyStepId === 'success')).body.data?.idToken));
      assert.equal(claims.sub, alice.id);
      assert.equal(claims.device_keys, undefined);
      assert.deepEqual(problems(), []);
    });
  });
}
