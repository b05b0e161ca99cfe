// Whom general.emailOtp authenticates, on both databases, with a real SMTP listener: in a journey started for a user,
// a right code to that user's address authenticates them (ID token, amr otp, no passkey claims); a right code to
// another address — even one of another user of the store — proves that address only: the journey does not switch
// to that user, and its end issues no token; nor does a code open an account whose address nobody has proven while
// it holds a passkey (pre-hijacking).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, ORIGIN, publish, setUpTenant, STORE, submit } from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`e-mail one-time code sign-in on ${kind}`, () => {
    let smtp: SmtpListener;
    let server: TestServer;
    let admin: TenantFixture;
    let aliceId: string;

    before(async () => {
      smtp = await startSmtpListener();
      server = await startTestServer({ kind, env: smtp.env });
      ({ admin, userId: aliceId } = await setUpTenant(server));
      assert.equal((await admin.api.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'bob', email: 'bob@example.com' })).status, 201);
      await publish(
        admin,
        'code-for-user',
        definition(
          [
            {
              id: 'otp',
              type: 'general.emailOtp',
              parameters: { emailAddress: '${to}' },
              outcomes: { success: 'done', failed: 'rejected', expired: 'rejected', cancel: 'rejected' },
            },
            endSuccess(),
            endReject(),
          ],
          { access: { public: false, apiClients: true }, variables: { to: { input: true, default: null } } },
        ),
      );
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    /** Starts the journey for the user (alice unless said) with the code going to `to`; answers the code's answer. */
    async function codeTo(to: string, userId = aliceId) {
      const started = await admin.api.post('/acme/journeys/code-for-user/start', { user: { userId }, variables: { to } }, { origin: ORIGIN });
      assert.equal(started.body.journeyStepId, 'otp', JSON.stringify(started.body));
      const count = smtp.mails.length;
      assert.equal(await server.services.emailOutbox.tick(), 1);
      const mail = await smtp.waitFor(count + 1);
      assert.deepEqual(mail.to, [to]);
      const code = /Your code: (\d{6})/.exec(mail.text)![1]!;
      return submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { code } });
    }

    test('a code to the journey user’s own address authenticates them: ID token with amr otp', async () => {
      const done = await codeTo('alice@example.com');
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      const claims = decodeJwt(done.body.data.idToken);
      assert.equal(claims.sub, aliceId);
      assert.deepEqual(claims.amr, ['otp']);
      assert.equal(claims.cred_id, undefined);
      assert.equal(claims.keyway_attested, undefined);
    });

    test('a code to another user’s address does not switch the journey to that user, and no token is issued', async () => {
      const done = await codeTo('bob@example.com');
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal(done.body.data.idToken, undefined);
      assert.equal(done.body.data.user, undefined);
      const audited = await server.database.db
        .selectFrom('audit_events')
        .select('details')
        .where('action', '=', 'journey.success')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      const details = JSON.parse(audited.details ?? '{}') as { userId?: string; amr?: string[] };
      assert.equal(details.userId, aliceId);
      assert.equal(details.amr, undefined);
    });

    test('a code to an unverified address does not open an account that holds a passkey (pre-hijacking): the address is proven, nobody signed in', async () => {
      const api = `/api/identity-store/stores/${STORE}`;
      const created = await admin.api.post(`${api}/users`, { userKey: 'mallory-made', email: 'victim@example.com' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const userId = created.body.id as string;
      assert.equal(created.body.emailVerified, false);
      // Whoever created the account holds a passkey for it.
      assert.equal((await admin.api.post(`${api}/passkeys/registrationPolicies`, { name: 'otp-test' })).status, 201);
      const started = await admin.api.post(`${api}/users/${userId}/passkeys/relyingParties/app.example.com/registrations/otp-test`, {});
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const response = new SoftAuthenticator().register(started.body.clientRequest, { origin: ORIGIN });
      const completed = await admin.api.post(`${api}/users/${userId}/passkeys/registrations/sessions/${started.body.sessionId}`, response);
      assert.equal(completed.status, 201, JSON.stringify(completed.body));

      const done = await codeTo('victim@example.com', userId);
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal(done.body.data.idToken, undefined, 'no sign-in into an account someone else holds a passkey for');
      assert.equal(done.body.data.user, undefined);
    });
  });
}
