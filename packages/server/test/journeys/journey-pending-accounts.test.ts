// Identifier squatting through public journeys, on both databases with an injected clock: an anonymous start of the
// TrustX registration template abandoned after Add User leaves a *pending* account (not an active one) that holds the
// identifier only while fresh; it becomes active with its passkey (one transaction), an abandoned one is replaced by
// a later sign-up or journey and purged by the same audited purge as self-service's abandoned sign-ups.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { ABANDONED_AFTER_MS } from '../../src/identity/pending-accounts.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { ORIGIN, setUpTenant, startPublic, STORE, submit } from './engine-fixture.ts';

const SIGN_UP = `/acme/identity/${STORE}/register/webauthn`;

for (const kind of DATABASE_KINDS) {
  describe(`pending accounts of journeys on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    const clock = new ManualClock('2026-03-01T10:00:00Z');

    before(async () => {
      server = await startTestServer({ kind, clock, env: { KEYWAY_PUBLIC_URL: ORIGIN, KEYWAY_RATE_LIMIT_PER_IP: '100000' } });
      ({ admin } = await setUpTenant(server));
      const api = `/api/identity-store/stores/${STORE}`;
      assert.equal((await admin.api.post(`${api}/passkeys/registrationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.api.post(`${api}/passkeys/authenticationPolicies`, { name: 'default' })).status, 201);
      const enabled = await admin.api.patch(api, {
        selfService: { enabled: true, relyingPartyId: 'app.example.com', registrationPolicy: 'default', authenticationPolicy: 'default', allowSignUp: true },
      });
      assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
      assert.equal((await admin.api.post('/api/journeys/templates/install', { store: STORE })).status, 200);
    });
    after(() => server.close());

    const db = () => server.database.db;
    const userByKey = (userKey: string) => db().selectFrom('users').selectAll().where('user_key', '=', userKey).executeTakeFirst();
    const pendingRow = (userId: string) => db().selectFrom('selfservice_pending_signups').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const signUpBegin = (identifier: string) => server.http.request('POST', `${SIGN_UP}/begin`, { identifier }, { origin: ORIGIN });

    /** An anonymous start of the TrustX registration template, given up at the passkey form (after Add User). */
    async function abandonAfterAddUser(userName: string) {
      const started = await startPublic(server, 'trustx-passkey-registration');
      const form = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { userName, displayName: userName } });
      assert.equal(form.body.journeyStepId, 'registrationForm', JSON.stringify(form.body));
      return form;
    }

    test('Add User of an abandoned journey leaves a pending account listed as the journey’s, which a sign-up cannot take while fresh', async () => {
      await abandonAfterAddUser('mallory-target');
      const user = await userByKey('mallory-target');
      assert.equal(user?.status, 'pending', 'not active: nobody proved anything yet');
      assert.equal((await pendingRow(user.id))?.created_by, 'journey:trustx-passkey-registration');

      const before = await db().selectFrom('users').select('id').execute();
      const refused = await signUpBegin('mallory-target');
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'IDENTIFIER_TAKEN');
      assert.deepEqual(await db().selectFrom('users').select('id').execute(), before, 'nothing changed');
    });

    test('once abandoned (a day, by the injected clock) the identifier is free: a sign-up replaces the pending account', async () => {
      await abandonAfterAddUser('victim');
      const squatted = (await userByKey('victim'))!;
      clock.advance(ABANDONED_AFTER_MS - 1);
      assert.equal((await signUpBegin('victim')).status, 409, 'one millisecond before a day it still holds');
      clock.advance(2);
      const begun = await signUpBegin('victim');
      assert.equal(begun.status, 200, JSON.stringify(begun.body));
      const replaced = (await userByKey('victim'))!;
      assert.notEqual(replaced.id, squatted.id, 'a new account, none of the abandoned one’s data');
      assert.equal((await pendingRow(replaced.id))?.created_by, 'self-service');
      const audit = await db()
        .selectFrom('audit_events')
        .select(['actor', 'action'])
        .where('target_id', '=', squatted.id)
        .where('action', '=', 'journey.addUser.expire')
        .execute();
      assert.deepEqual(
        audit.map((a) => ({ ...a })),
        [{ actor: 'journey:trustx-passkey-registration', action: 'journey.addUser.expire' }],
      );
    });

    test('an abandoned journey account is replaced by a later journey for the same name too, and the purge deletes the rest (audited)', async () => {
      await abandonAfterAddUser('carol');
      await abandonAfterAddUser('dave');
      const carol = (await userByKey('carol'))!;
      const dave = (await userByKey('dave'))!;
      clock.advance(ABANDONED_AFTER_MS + 1);
      // A second journey for carol replaces the abandoned account.
      await abandonAfterAddUser('carol');
      const carolAgain = (await userByKey('carol'))!;
      assert.notEqual(carolAgain.id, carol.id);
      assert.equal(carolAgain.status, 'pending');
      // The retention sweep deletes dave's; carol's new one is fresh and stays.
      const swept = await server.services.retention.sweep();
      assert.ok((swept['abandoned pending accounts'] ?? 0) >= 1, JSON.stringify(swept));
      assert.equal(await userByKey('dave'), undefined);
      assert.equal((await userByKey('carol'))?.id, carolAgain.id);
      const audited = await db()
        .selectFrom('audit_events')
        .select('target_id')
        .where('action', '=', 'journey.addUser.expire')
        .where('target_id', 'in', [carol.id, dave.id])
        .execute();
      assert.deepEqual(audited.map((a) => a.target_id).sort(), [carol.id, dave.id].sort());
    });

    test('the journey’s passkey registration activates the account in the same transaction as the credential', async () => {
      const form = await abandonAfterAddUser('erin');
      const user = (await userByKey('erin'))!;
      assert.equal(user.status, 'pending');
      const credential = new SoftAuthenticator().register(form.body.data.clientRequest as PublicKeyCredentialCreationOptionsJSON, { origin: ORIGIN });
      const done = await submit(server, form.body.sessionId, { clientResponseOptionId: 'client_input', data: { formData: {}, browserResponse: credential } });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal((await userByKey('erin'))?.status, 'active');
      assert.equal(await pendingRow(user.id), undefined, 'no longer pending: never purged');
      const stored = await db().selectFrom('credentials').select('user_id').where('user_id', '=', user.id).execute();
      assert.equal(stored.length, 1);
      clock.advance(ABANDONED_AFTER_MS + 1);
      await server.services.retention.sweep();
      assert.equal((await userByKey('erin'))?.status, 'active', 'an active account is never purged');
      const taken = await signUpBegin('erin');
      assert.equal(taken.body.code, 'IDENTIFIER_TAKEN');
    });
  });
}
