// A custom page cannot have the hosted runner run a WebAuthn ceremony other than its journey's, in Debian Chromium
// with the virtual authenticator on both databases. The runner runs on Keyway's own origin, so any request there is
// for the relying party of the console too: an API client holding only Journeys:* fetched an owner's console sign-in
// challenge, published a page asking the runner for it, and kept the assertion the owner's browser made. Now the page
// is refused (SecurityError, code ERR_PAGE_CEREMONY_REFUSED), navigator.credentials is not called and the owner's
// console passkey is not used; the same page's request for the registration its journey started still runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import type { HttpClient } from '../packages/server/test/support/http-client.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { invitationLink } from './support/console.ts';
import { recordWebAuthnCalls, REGISTRATION_POLICY, RP_ID, watchPage, type WebAuthnCall } from './support/hosted-pages.ts';
import { publishJourney, recordRuntime, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** The page: asks the runner for `foreign` first (what it answers is kept), then, when told to, for its journey's registration. */
function page(foreign: unknown, alsoOwn: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Confirm</title></head><body><p>Confirm with your passkey</p><script>
(async () => {
  const out = {};
  try { out.loot = JSON.stringify(await keyway.getCredential(${JSON.stringify(foreign)})); }
  catch (e) { out.foreign = e.name + ':' + e.code; }
  if (${alsoOwn}) {
    try { out.credential = await keyway.createCredential(keyway.sessionData.clientRequest); }
    catch (e) { out.credential = ''; out.error = e.name; }
  }
  keyway.submit(out);
})();
</script></body></html>`;
}

/** Add user → Start Passkey Registration → the page → Complete Passkey Registration with the page's credential. */
function journey(pageName: string, userKey: string) {
  return {
    schemaVersion: 1,
    name: pageName,
    store: STORE,
    access: { public: true },
    start: 'addUser',
    steps: [
      {
        id: 'addUser',
        type: 'trustx.addUser',
        parameters: { storeName: '${_journey.store}', userKey },
        outcomes: { success: 'start', 'Failed to add the user': 'failed', 'ExtId Not Unique': 'failed' },
      },
      {
        id: 'start',
        type: 'trustx.startPasskeyRegistration',
        parameters: {
          storeName: '${_journey.store}',
          relyingPartyId: RP_ID,
          registrationPolicy: REGISTRATION_POLICY,
          passkeyRegistrationKey: 'passkeyReg1',
          passkeyUserName: userKey,
        },
        outcomes: { success: 'page', 'Failed ID Store Service Call': 'failed' },
      },
      {
        id: 'page',
        type: 'trustx.customPageV2',
        parameters: {
          pageName,
          sessionData: {
            clientRequest:
              '${_identityStore.passkeys.registrations["passkeyReg1"].currentPasskeyRegistrationRecord.startPasskeyRegistrationResponse.clientRequest}',
          },
        },
        outcomes: { success: 'complete', cancel: 'failed', timeout: 'failed' },
      },
      {
        id: 'complete',
        type: 'trustx.completePasskeyRegistration',
        parameters: { passkeyRegistrationKey: 'passkeyReg1', passkeyRegistrationBrowserResponse: '${page.credential}' },
        outcomes: { success: 'done', 'User cancelled': 'failed', 'Failed ID Store Service Call': 'failed' },
      },
      { id: 'done', type: 'general.end', parameters: { result: 'success' } },
      { id: 'failed', type: 'general.end', parameters: { result: 'rejection', code: 'PAGE_JOURNEY_FAILED' } },
    ],
  };
}

for (const kind of DATABASE_KINDS) {
  describe(`a custom page runs only its journey's ceremony (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let owner: WebAuthnPage;
    let authenticatorId: string;
    let calls: WebAuthnCall[];
    let editor: HttpClient;
    let problems: () => string[];

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server);
      // The owner enrols a console passkey in this browser, then is not even signed in to the console.
      owner = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
      authenticatorId = await owner.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
      const token = new URL(await invitationLink(server, 'acme', 'owner')).hash.split('token=')[1]!;
      const enrolled = await owner.page.evaluate(async (token) => {
        const bytes = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
        const options = await (
          await fetch('/acme/console/api/enrolment/options', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ token, displayName: 'Owner' }),
          })
        ).json();
        const pk = options.publicKey;
        const credential = (await navigator.credentials.create({
          publicKey: { ...pk, challenge: bytes(pk.challenge), user: { ...pk.user, id: bytes(pk.user.id) }, excludeCredentials: [] },
        })) as PublicKeyCredential;
        const finished = await fetch('/acme/console/api/enrolment/finish', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token, credential: credential.toJSON() }),
        });
        return finished.status;
      }, token);
      assert.equal(enrolled, 201, 'the owner has a console passkey');
      await owner.context.clearCookies();
      calls = await recordWebAuthnCalls(owner.context);
      ({ problems } = watchPage(owner.page));

      // An API client that may only edit journeys, their forms and pages.
      const made = await tenant.api.post('/api/admin/clients', { name: 'content-editor', permissions: ['TNT#acme#Journeys:*'] });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const token2 = await (
        await fetch(`${server.origin}/oauth2/token`, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: made.body.clientId, client_secret: made.body.clientSecret }),
        })
      ).json();
      editor = server.http.withToken(token2.access_token);
    });
    after(async () => {
      await owner?.close();
      await server?.close();
    });

    /** A console sign-in challenge, fetched as anyone can. */
    async function consoleSignInOptions(): Promise<{ challenge: string }> {
      const response = await fetch(`${server.origin}/acme/console/api/sign-in/options`, {
        method: 'POST',
        headers: { origin: server.origin, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { publicKey: { challenge: string } }).publicKey;
    }

    async function publishPage(api: HttpClient, name: string, html: string): Promise<void> {
      assert.equal((await api.post('/api/custom-pages', { name, html })).status, 201);
      assert.equal((await api.post(`/api/custom-pages/${name}/versions/1/publish`)).status, 200);
    }

    /** What the runner submitted for the page (the page's answer). */
    function pageAnswers(): Record<string, unknown>[] {
      const answers: Record<string, unknown>[] = [];
      owner.page.on('request', (request) => {
        if (request.method() === 'POST' && request.url().endsWith('/submit')) answers.push(JSON.parse(request.postData() ?? '{}').data ?? {});
      });
      return answers;
    }

    /** Credential id → sign count on the owner's authenticator (the virtual authenticator counts every assertion). */
    const signCounts = async () => new Map((await owner.getCredentials(authenticatorId)).map((c) => [c.credentialId, c.signCount]));

    test("the auditor's page: a console sign-in challenge is refused, nothing is asked of the authenticator", async () => {
      const before = await signCounts();
      assert.equal(before.size, 1, 'the console passkey');
      await publishPage(editor, 'evil', page(await consoleSignInOptions(), false));
      const definition = {
        schemaVersion: 1,
        name: 'evil',
        store: STORE,
        access: { public: true },
        start: 'page',
        steps: [
          { id: 'page', type: 'trustx.customPageV2', parameters: { pageName: 'evil' }, outcomes: { success: 'done', cancel: 'done', timeout: 'done' } },
          { id: 'done', type: 'general.end', parameters: { result: 'success' } },
        ],
      };
      await publishJourney(editor, 'evil', definition);
      const answers = pageAnswers();
      const runtime = recordRuntime(owner.page);
      calls.length = 0;
      await owner.page.goto(tenant.runnerUrl('evil'));
      // The page answered (the journey then ends: success without a user is JOURNEY_NO_USER).
      await waitForStep(owner.page, 'rejection');
      assert.equal((await runtime.first((a) => a.body.journeyStepId === 'rejection')).body.data?.code, 'JOURNEY_NO_USER');
      assert.deepEqual(answers, [{ foreign: 'SecurityError:ERR_PAGE_CEREMONY_REFUSED' }]);
      assert.deepEqual((await runtime.first((a) => a.body.journeyStepId === 'page')).body.data?.ceremonies, [], 'the journey started none');
      assert.deepEqual(calls, [], 'navigator.credentials was not called');
      assert.deepEqual(await signCounts(), before, 'the console passkey was not used');
      assert.deepEqual(problems(), []);
    });

    test("the same refusal, then the page's own registration runs: one create, the passkey stored, the console passkey untouched", async () => {
      const before = await signCounts();
      // Published by an operator who may add users; the page asks for the foreign challenge first all the same.
      await publishPage(tenant.api, 'mixed', page({ ...(await consoleSignInOptions()), rpId: RP_ID }, true));
      await publishJourney(tenant.api, 'mixed', journey('mixed', 'dana'));
      const answers = pageAnswers();
      calls.length = 0;
      await owner.page.goto(tenant.runnerUrl('mixed'));
      await waitForStep(owner.page, 'success');
      assert.equal(answers.length, 1);
      assert.equal(answers[0]!.foreign, 'SecurityError:ERR_PAGE_CEREMONY_REFUSED');
      assert.equal(answers[0]!.loot, undefined);
      assert.equal(typeof (answers[0]!.credential as { id?: unknown }).id, 'string', 'the journey’s registration ran');
      assert.deepEqual(
        calls.map((c) => c.method),
        ['create'],
        'only the journey’s own ceremony reached navigator.credentials',
      );
      const listed = tenant.backend.expect(await tenant.backend.call('GET', `/api/identity-store/stores/${STORE}/users?userKey=dana`), 200).body;
      assert.equal((await tenant.backend.listPasskeys(listed.items[0].id)).length, 1);
      const after = await signCounts();
      assert.equal(after.size, 2, 'the console passkey and dana’s');
      const [consoleId, count] = [...before][0]!;
      assert.equal(after.get(consoleId), count, 'the console passkey was not used');
      assert.deepEqual(problems(), []);
    });
  });
}
