import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { decodeJwt } from 'jose';
import { loadTemplates } from '../../src/journeys/templates.ts';
import { DATABASE_KINDS, TEST_MASTER_KEY } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { ORIGIN, setUpTenant, startPublic, STORE, submit } from './engine-fixture.ts';

const CTX = { origin: ORIGIN };
const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');

for (const kind of DATABASE_KINDS) {
  describe(`journey templates end to end on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let aliceId: string;
    const authenticator = new SoftAuthenticator();

    before(async () => {
      server = await startTestServer({ kind });
      ({ admin, userId: aliceId } = await setUpTenant(server));
      const api = `/api/identity-store/stores/${STORE}/passkeys`;
      assert.equal((await admin.api.post(`${api}/registrationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.api.post(`${api}/authenticationPolicies`, { name: 'default' })).status, 201);
    });
    after(() => server.close());

    test('one call installs the four templates and their forms; installing again changes nothing; the CLI does the same', async () => {
      const installed = await admin.api.post('/api/journeys/templates/install', { store: STORE });
      assert.equal(installed.status, 200, JSON.stringify(installed.body));
      assert.deepEqual(installed.body.items.map((i: { journeyId: string; status: string }) => `${i.journeyId} ${i.status}`).sort(), [
        'mosaic-passkey-registration created',
        'mosaic-passkey-sign-in created',
        'trustx-passkey-authentication created',
        'trustx-passkey-registration created',
      ]);
      assert.equal(loadTemplates().length, 4);
      const version = await admin.api.get('/api/journeys/trustx-passkey-registration/versions/1');
      assert.equal(version.body.definition.store, STORE);
      assert.equal(version.body.definition.variables.relyingPartyId.default, 'app.example.com');
      assert.equal(version.body.definition.variables.registrationPolicy.default, 'default');
      const forms = await admin.api.get('/api/custom-forms');
      assert.equal(forms.status, 200, JSON.stringify(forms.body));
      assert.deepEqual(forms.body.items.map((f: { name: string }) => f.name).sort(), [
        'keyway-cancelled-retry',
        'keyway-passkey-authentication',
        'keyway-passkey-registration',
        'keyway-registration-details',
        'keyway-sign-in',
      ]);

      const again = await admin.api.post('/api/journeys/templates/install', { store: STORE });
      assert.ok(again.body.items.every((i: { status: string; version: number }) => i.status === 'unchanged' && i.version === 1));

      const missing = await admin.api.post('/api/journeys/templates/install', {
        store: STORE,
        templates: ['mosaic-passkey-sign-in'],
        authenticationPolicy: 'nope',
      });
      assert.equal(missing.status, 200, 'a named setting is used as given (the journey then rejects at run time)');
      assert.equal(missing.body.items[0].status, 'updated');
      await admin.api.post('/api/journeys/templates/install', { store: STORE, templates: ['mosaic-passkey-sign-in'] });

      // `npx keyway journeys install-templates --tenant acme`: the tenant's only store, relying party and policies.
      // The CLI needs the server's master key (on PostgreSQL it is configured; SQLite's key file sits beside the database).
      const masterKey: Record<string, string> = kind === 'postgres' ? { KEYWAY_MASTER_KEY: TEST_MASTER_KEY } : {};
      const env = { ...process.env, KEYWAY_DATABASE_URL: server.config.databaseUrl, KEYWAY_LOG_LEVEL: 'silent', ...masterKey };
      const cli = await run(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'journeys', 'install-templates', '--tenant', 'acme'], { env });
      const printed = JSON.parse(cli.stdout) as { items: { journeyId: string; status: string }[] };
      assert.equal(printed.items.length, 4);
      assert.ok(
        printed.items.every((i) => i.status === 'unchanged'),
        cli.stdout,
      );
      const audited = await server.database.db
        .selectFrom('audit_events')
        .select('actor')
        .where('action', '=', 'journey.publish')
        .where('actor', '=', 'cli')
        .execute();
      assert.equal(audited.length, 0, 'nothing changed, nothing audited');
      await assert.rejects(
        run(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'journeys', 'install-templates', '--tenant', 'acme', '--store', 'missing'], {
          env,
        }),
        (error: { code?: number; stderr?: string }) => {
          assert.equal(error.code, 1);
          assert.match(error.stderr ?? '', /missing/);
          return true;
        },
      );
    });

    test('TrustX registration: details form → Add User → Start → form; cancel → retry form → form again → passkey → success', async () => {
      const started = await startPublic(server, 'trustx-passkey-registration');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'registrationDetails');
      const form = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { userName: 'bob', displayName: 'Bob' } });
      assert.equal(form.body.journeyStepId, 'registrationForm', JSON.stringify(form.body));
      assert.ok(form.body.data.clientRequest.challenge);

      const cancelled = await submit(server, form.body.sessionId, { clientResponseOptionId: 'cancel' });
      assert.equal(cancelled.body.journeyStepId, 'retry', JSON.stringify(cancelled.body));
      const formAgain = await submit(server, cancelled.body.sessionId, { clientResponseOptionId: 'client_input', data: {} });
      assert.equal(formAgain.body.journeyStepId, 'registrationForm', JSON.stringify(formAgain.body));

      const credential = authenticator.register(formAgain.body.data.clientRequest as PublicKeyCredentialCreationOptionsJSON, CTX);
      const done = await submit(server, formAgain.body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { formData: {}, browserResponse: credential },
      });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal(done.body.data.user.userKey, 'bob');
      assert.equal(decodeJwt(done.body.data.idToken).sub, done.body.data.user.id);
      const passkeys = await server.database.db.selectFrom('credentials').select('user_id').where('user_id', '=', done.body.data.user.id).execute();
      assert.equal(passkeys.length, 1);
    });

    test('TrustX authentication: user name → Start → form; cancel → retry → form → passkey → success for that user', async () => {
      const started = await startPublic(server, 'trustx-passkey-authentication');
      assert.equal(started.body.journeyStepId, 'signIn');
      const form = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { userName: 'bob' } });
      assert.equal(form.body.journeyStepId, 'authenticationForm', JSON.stringify(form.body));
      const cancelled = await submit(server, form.body.sessionId, { clientResponseOptionId: 'cancel' });
      assert.equal(cancelled.body.journeyStepId, 'retry', JSON.stringify(cancelled.body));
      const formAgain = await submit(server, cancelled.body.sessionId, { clientResponseOptionId: 'client_input', data: {} });
      assert.equal(formAgain.body.journeyStepId, 'authenticationForm');
      const assertion = authenticator.authenticate(formAgain.body.data.clientRequest as PublicKeyCredentialRequestOptionsJSON, CTX);
      const done = await submit(server, formAgain.body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { formData: {}, browserResponse: assertion },
      });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal(done.body.data.user.userKey, 'bob');
      const claims = decodeJwt(done.body.data.idToken);
      assert.ok(Array.isArray(claims.amr));
    });

    test('Mosaic registration after sign-in: started by the API client for alice; cancel branch → offered again → passkey → success', async () => {
      const started = await admin.api.post('/acme/journeys/mosaic-passkey-registration/start', { user: { userId: aliceId } }, { origin: ORIGIN });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'registerPasskeys');
      assert.equal(started.body.data.username, 'alice@example.com');
      const cancelled = await submit(server, started.body.sessionId, { clientResponseOptionId: 'cancel' });
      assert.equal(cancelled.body.journeyStepId, 'registerPasskeys', 'offered again after the cancel branch');
      const credential = authenticator.register(cancelled.body.data.clientRequest as PublicKeyCredentialCreationOptionsJSON, CTX);
      const done = await submit(server, cancelled.body.sessionId, { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: credential } });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      // Alice was named by the API client, and registering a passkey for her does not prove who is
      // at the browser: the journey authenticated nobody, so no ID token and no user record.
      assert.deepEqual(done.body.data, {});
      const passkeys = await admin.api.get(`/api/identity-store/stores/${STORE}/users/${aliceId}/passkeys`);
      assert.ok(
        passkeys.body.items.some((passkey: { credentialId: string }) => passkey.credentialId === credential.id),
        'the passkey is alice’s',
      );
    });

    test('Mosaic sign-in: Login Form passkeys branch → Passkey Authentication; a failure goes back to the form; then success', async () => {
      const started = await startPublic(server, 'mosaic-passkey-sign-in');
      assert.equal(started.body.journeyStepId, 'loginForm', JSON.stringify(started.body));
      assert.deepEqual(started.body.clientResponseOptions, ['passkeys', 'cancel']);
      const failed = await submit(server, started.body.sessionId, {
        clientResponseOptionId: 'passkeys',
        data: { webauthn_encoded_result: 'not-a-credential' },
      });
      assert.equal(failed.body.journeyStepId, 'loginForm', `the failure branch leads back to the form: ${JSON.stringify(failed.body)}`);
      const assertion = authenticator.authenticate(failed.body.data.passkeys.clientRequest as PublicKeyCredentialRequestOptionsJSON, CTX);
      const done = await submit(server, failed.body.sessionId, { clientResponseOptionId: 'passkeys', data: { webauthn_encoded_result: assertion } });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal(done.body.data.user.id, aliceId, 'the newest discoverable passkey is alice’s');
    });
  });
}
