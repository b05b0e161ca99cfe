// Deleting a user, or a store with force, leaves nothing of theirs usable or pending, on both databases, through the
// admin API with a real OpenID Provider flow (code flow with offline_access) and a real SMTP listener: what the
// provider issued goes (each revocation audited; the refresh token answers invalid_grant), a queued e-mail about the
// account is not delivered, the user's journey instances (their variables) go, and so do their ceremony sessions —
// on SQLite in the ephemeral file, which no foreign key reaches. All of it commits with the deletion's audit event,
// or none of it does.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { IdentityService } from '../../src/identity/identity-service.ts';
import { journeyInstancesOfDeleted } from '../../src/journeys/engine/instance-store.ts';
import { issuedForDeleted } from '../../src/oidc/oidc-revocation.ts';
import { ceremonySessionsOfDeleted } from '../../src/passkeys/ceremony-session-store.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { ephemeralFileOf } from '../../src/storage/ephemeral-sqlite.ts';
import { definition, endReject, endSuccess, publish } from '../journeys/engine-fixture.ts';
import { ADMIN, RP_ID, SELF_SERVICE } from '../selfservice/selfservice-fixture.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { ISSUER, ORIGIN, OidcWorld, authorize, codeFlow, expectStatus, type Browser } from '../oidc/oidc-fixture.ts';

/** The OAuth error of a failed openid-client call (from the body or, for a refused client, its WWW-Authenticate challenge), or `succeeded`. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const e = error as { error?: string; cause?: { error?: string } | { parameters?: { error?: string } }[] };
    const challenge = Array.isArray(e.cause) ? e.cause[0]?.parameters?.error : undefined;
    return e.error ?? challenge ?? (Array.isArray(e.cause) ? undefined : e.cause?.error) ?? String(error);
  }
  return 'succeeded';
}

/**
 * A world with SMTP whose store verifies addresses at sign-up (a code then goes to the account's owner), and a journey
 * that e-mails a one-time code to the user it is started for.
 */
async function createWorld(kind: (typeof DATABASE_KINDS)[number], smtp: SmtpListener) {
  const world = await OidcWorld.create(kind, smtp.env);
  await expectStatus(world.acme.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, verifyEmail: true } }), 200);
  await publish(
    world.acme,
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
  return world;
}

/** Signs up with an address and follows the verification link e-mailed for it. */
async function signUpVerified(world: OidcWorld, smtp: SmtpListener, browser: Browser, address: string) {
  const since = smtp.mails.length;
  const { user } = await world.signUp(browser, address);
  await world.server.services.emailOutbox.tick();
  const mail = smtp.mails.slice(since).find((received) => received.to.includes(address));
  const token = /\/verify-email#([A-Za-z0-9_-]{43})/.exec(mail?.text ?? '')?.[1];
  assert.ok(token, 'a verification e-mail');
  await expectStatus(browser.post('/email/verify', { token }), 200);
  return user;
}

/** A code flow in the browser, which has a live session: the tokens it ends with (a refresh token: offline_access with prompt=consent). */
async function tokensFor(world: OidcWorld, config: oidc.Configuration, browser: Browser) {
  const flow = await codeFlow(config, { prompt: 'consent' });
  const { location } = await authorize(world, browser, flow.url);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  assert.ok(tokens.refresh_token);
  return tokens;
}

/** Starts the journey for the user with a one-time code to their address: the instance waits, the e-mail is queued. */
async function codeQueuedFor(world: OidcWorld, userId: string, to: string) {
  const started = await world.acme.api.post('/acme/journeys/code-for-user/start', { user: { userId }, variables: { to } }, { origin: ORIGIN });
  assert.equal(started.body.journeyStepId, 'otp', JSON.stringify(started.body));
}

/** An administrator's passkey registration for the user, started and not finished: a ceremony session in flight. */
async function registrationStarted(world: OidcWorld, store: string, userId: string) {
  await expectStatus(
    world.acme.api.post(`/api/identity-store/stores/${store}/users/${userId}/passkeys/relyingParties/${RP_ID}/registrations/default`, {}),
    200,
  );
}

const count = (rows: unknown[]) => rows.length;

/** Everything of a user's that a deletion must take, counted; ceremony sessions on SQLite read from the ephemeral file itself. */
async function leftOf(world: OidcWorld, userId: string) {
  const db = world.db;
  return {
    oidcState: (await db.selectFrom('oidc_state').select('model').where('account_id', '=', userId).execute()).map((row) => row.model).sort(),
    journeyInstances: count(await db.selectFrom('journey_instances').select('id').where('user_id', '=', userId).execute()),
    ceremonySessions: await ceremonySessions(world, 'user_id', userId),
    queuedEmails: count(await db.selectFrom('email_outbox').select('id').where('user_id', '=', userId).where('sent_at', 'is', null).execute()),
  };
}

/** Ceremony sessions whose `column` is `value`: on SQLite read through another connection to the ephemeral file. */
async function ceremonySessions(world: OidcWorld, column: 'user_id' | 'store_id', value: string): Promise<number> {
  if (world.server.kind === 'postgres') return count(await world.db.selectFrom('ceremony_sessions').select('id').where(column, '=', value).execute());
  const file = ephemeralFileOf(world.server.config.databaseUrl.replace(/^sqlite:/, ''));
  const reader = new DatabaseSync(file, { readOnly: true });
  try {
    return (reader.prepare(`select count(*) as n from ceremony_sessions where ${column} = ?`).get(value) as { n: number }).n;
  } finally {
    reader.close();
  }
}

async function auditOf(world: OidcWorld, actions: string[]) {
  const rows = await world.db
    .selectFrom('audit_events')
    .select(['action', 'target_type', 'target_id', 'details'])
    .where('action', 'in', actions)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: JSON.parse(String(row.details)) as Record<string, unknown>,
  }));
}

for (const kind of DATABASE_KINDS) {
  describe(`deleting a user on ${kind}`, () => {
    let smtp: SmtpListener;
    let world: OidcWorld;
    let config: oidc.Configuration;
    before(async () => {
      smtp = await startSmtpListener();
      world = await createWorld(kind, smtp);
      config = await world.relyingParty(await world.register({ name: 'App' }));
    });
    after(async () => {
      await world?.close();
      await smtp?.close();
    });

    const userinfo = async (accessToken: string) =>
      (await world.publicFetch(`${ISSUER}/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

    test('takes the provider’s artifacts (audited, the refresh token refused), the queued code e-mail, the journey instance and the ceremony sessions; another user keeps theirs', async () => {
      const holder = world.browser();
      const user = await signUpVerified(world, smtp, holder, 'gone@example.com');
      const bystanderBrowser = world.browser();
      const bystander = await signUpVerified(world, smtp, bystanderBrowser, 'stays@example.com');
      const tokens = await tokensFor(world, config, holder);
      const kept = await tokensFor(world, config, bystanderBrowser);
      await codeQueuedFor(world, user.id, 'gone@example.com');
      await codeQueuedFor(world, bystander.id, 'stays@example.com');
      await registrationStarted(world, 'customers', user.id);

      const before = await leftOf(world, user.id);
      assert.ok(
        ['Session', 'Grant', 'AccessToken', 'RefreshToken'].every((model) => before.oidcState.includes(model)),
        before.oidcState.join(),
      );
      assert.equal(before.journeyInstances, 1);
      assert.ok(before.ceremonySessions >= 2, 'the sign-up’s and the registration started'); // sign-up, admin registration
      assert.equal(before.queuedEmails, 1);
      const bystanderBefore = await leftOf(world, bystander.id);

      await expectStatus(world.acme.api.delete(`${ADMIN}/users/${user.id}`), 204);

      assert.deepEqual(await leftOf(world, user.id), { oidcState: [], journeyInstances: 0, ceremonySessions: 0, queuedEmails: 0 });
      assert.deepEqual(await leftOf(world, bystander.id), bystanderBefore);
      // What the provider issued is refused: the refresh token, the access token, a silent sign-in.
      assert.equal(await outcome(oidc.refreshTokenGrant(config, tokens.refresh_token!)), 'invalid_grant');
      assert.equal(await userinfo(tokens.access_token), 401);
      const silent = await world.navigate(holder, (await codeFlow(config, { prompt: 'none' })).url);
      assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required');
      // The queued code goes to nobody; the other user's is delivered.
      const since = smtp.mails.length;
      assert.equal(await world.server.services.emailOutbox.tick(), 1);
      assert.deepEqual(
        smtp.mails.slice(since).map((mail) => mail.to),
        [['stays@example.com']],
      );
      assert.equal(await outcome(oidc.refreshTokenGrant(config, kept.refresh_token!)), 'succeeded');

      // Audited: each revocation on the user with the reason, and the deletion with what went with it.
      const revocations = await auditOf(world, ['oidc.accessToken.revoke', 'oidc.refreshToken.revoke']);
      assert.deepEqual(
        revocations
          .filter((event) => event.details.reason === 'userDeleted')
          .map((event) => [event.action, event.targetType, event.targetId, event.details.store]),
        [
          ['oidc.accessToken.revoke', 'user', user.id, 'customers'],
          ['oidc.refreshToken.revoke', 'user', user.id, 'customers'],
        ],
      );
      const [deleted] = await auditOf(world, ['user.delete']);
      assert.deepEqual(deleted!.details.removed, {
        oidcArtifacts: before.oidcState.length,
        journeyInstances: 1,
        ceremonySessions: before.ceremonySessions,
        selfServiceFlows: 0,
      });
    });

    test('one transaction: when a part of the deletion fails, the user and everything of theirs stay, and nothing is audited', async () => {
      const browser = world.browser();
      const { user } = await world.signUp(browser, 'kept@example.com');
      await tokensFor(world, config, browser);
      await codeQueuedFor(world, user.id, 'kept@example.com');
      await registrationStarted(world, 'customers', user.id);
      const identity = new IdentityService({
        db: world.db,
        clock: systemClock,
        deletionHooks: [
          issuedForDeleted,
          journeyInstancesOfDeleted,
          ceremonySessionsOfDeleted,
          {
            ofUser: () => Promise.reject(new Error('the last part fails')),
            ofStore: () => Promise.reject(new Error('not used')),
          },
        ],
      });
      const snapshot = await snapshotDatabase(world.server.database);
      await assert.rejects(identity.deleteUser({ tenantId: 'acme', actor: 'test' }, 'customers', { id: user.id }), /the last part fails/);
      assert.deepEqual(await snapshotDatabase(world.server.database), snapshot);
    });

    test('e-mails self-service queued about the account (its sign-up’s verification link, a lost-passkey link) are not delivered once the user is deleted', async () => {
      const browser = world.browser();
      const { user } = await world.signUp(browser, 'lost@example.com');
      await expectStatus(world.browser().post('/recovery/email', { email: 'lost@example.com' }), 202);
      await expectStatus(world.acme.api.delete(`${ADMIN}/users/${user.id}`), 204);
      const since = smtp.mails.length;
      await world.server.services.emailOutbox.tick();
      assert.deepEqual(
        smtp.mails
          .slice(since)
          .filter((mail) => mail.to.includes('lost@example.com'))
          .map((mail) => mail.subject),
        [],
      );
    });
  });

  describe(`deleting a store with force on ${kind}`, () => {
    let smtp: SmtpListener;
    let world: OidcWorld;
    before(async () => {
      smtp = await startSmtpListener();
      world = await createWorld(kind, smtp);
    });
    after(async () => {
      await world?.close();
      await smtp?.close();
    });

    test('does for every user and client of the store what a user’s deletion does, audited per client and in one store.delete; another store keeps its own', async () => {
      const clients = [await world.register({ name: 'Shop' }), await world.register({ name: 'Blog' })];
      const configs = await Promise.all(clients.map((client) => world.relyingParty(client)));
      const ada = world.browser();
      const adaUser = await signUpVerified(world, smtp, ada, 'ada@example.com');
      const bob = world.browser();
      const bobUser = await signUpVerified(world, smtp, bob, 'bob@example.com');
      const issued = [await tokensFor(world, configs[0]!, ada), await tokensFor(world, configs[1]!, ada), await tokensFor(world, configs[0]!, bob)];
      await codeQueuedFor(world, adaUser.id, 'ada@example.com');
      await registrationStarted(world, 'customers', bobUser.id);
      // A usernameless sign-in started: a ceremony session of the store without a user.
      await expectStatus(world.browser().post('/login/webauthn/options', {}), 200);
      // Another store of the tenant, with a user and a registration in flight.
      await expectStatus(world.acme.api.post('/api/identity-store/stores', { name: 'staff' }), 201);
      await expectStatus(world.acme.api.post('/api/identity-store/stores/staff/passkeys/relyingParties', { id: RP_ID, name: 'Staff', origins: [ORIGIN] }), 201);
      await expectStatus(world.acme.api.post('/api/identity-store/stores/staff/passkeys/registrationPolicies', { name: 'default' }), 201);
      const staffUser = (await expectStatus(world.acme.api.post('/api/identity-store/stores/staff/users', { userKey: 'carol' }), 201)).body as { id: string };
      await registrationStarted(world, 'staff', staffUser.id);

      const stores = await world.db.selectFrom('stores').select(['id', 'name']).execute();
      const customers = stores.find((store) => store.name === 'customers')!.id;
      const staff = stores.find((store) => store.name === 'staff')!.id;
      const before = { ada: await leftOf(world, adaUser.id), bob: await leftOf(world, bobUser.id) };
      const artifacts = (
        await world.db
          .selectFrom('oidc_state')
          .select('model')
          .where((eb) =>
            eb.or([
              eb(
                'client_id',
                'in',
                clients.map((client) => client.clientId),
              ),
              eb('account_id', 'in', [adaUser.id, bobUser.id]),
            ]),
          )
          .execute()
      ).length;
      const storeCeremonies = await ceremonySessions(world, 'store_id', customers);
      assert.ok(before.ada.oidcState.length > 0 && before.bob.oidcState.length > 0);
      assert.equal(before.ada.journeyInstances, 1);
      assert.equal(before.ada.queuedEmails, 1);
      assert.ok(storeCeremonies >= 4, `two sign-ups, a registration, a sign-in: ${storeCeremonies}`);
      const staffCeremonies = await ceremonySessions(world, 'store_id', staff);
      assert.equal(staffCeremonies, 1);

      await expectStatus(world.acme.api.delete('/api/identity-store/stores/customers?force=true'), 204);

      for (const user of [adaUser, bobUser])
        assert.deepEqual(await leftOf(world, user.id), { oidcState: [], journeyInstances: 0, ceremonySessions: 0, queuedEmails: 0 });
      assert.deepEqual(
        await world.db
          .selectFrom('oidc_state')
          .select('model')
          .where(
            'client_id',
            'in',
            clients.map((client) => client.clientId),
          )
          .execute(),
        [],
      );
      assert.equal(await ceremonySessions(world, 'store_id', customers), 0);
      assert.equal(await ceremonySessions(world, 'store_id', staff), staffCeremonies);
      assert.equal((await world.db.selectFrom('users').select('id').where('id', '=', staffUser.id).execute()).length, 1);
      // Nothing the store's clients were given works, and the queued code goes to nobody.
      for (const [index, tokens] of issued.entries())
        assert.equal(await outcome(oidc.refreshTokenGrant(configs[index === 1 ? 1 : 0]!, tokens.refresh_token!)), 'invalid_client');
      const since = smtp.mails.length;
      assert.equal(await world.server.services.emailOutbox.tick(), 0);
      assert.equal(smtp.mails.length, since);

      // Audited: each client's revocations with the reason, and one store.delete counting what went.
      const revocations = await auditOf(world, ['oidc.accessToken.revoke', 'oidc.refreshToken.revoke']);
      assert.deepEqual(
        revocations.map((event) => [event.action, event.targetType, event.targetId, event.details.reason, event.details.count]).sort(),
        [
          ['oidc.accessToken.revoke', 'oidcClient', clients[0]!.clientId, 'storeDeleted', 2],
          ['oidc.accessToken.revoke', 'oidcClient', clients[1]!.clientId, 'storeDeleted', 1],
          ['oidc.refreshToken.revoke', 'oidcClient', clients[0]!.clientId, 'storeDeleted', 2],
          ['oidc.refreshToken.revoke', 'oidcClient', clients[1]!.clientId, 'storeDeleted', 1],
        ].sort(),
      );
      const [deleted] = await auditOf(world, ['store.delete']);
      assert.deepEqual(deleted!.details, {
        force: true,
        users: 2,
        removed: { oidcClients: 2, oidcArtifacts: artifacts, journeyInstances: 1, ceremonySessions: storeCeremonies, selfServiceFlows: 1 },
      });
    });
  });
}
