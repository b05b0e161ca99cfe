import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endSuccess, instanceRows, ORIGIN, publish, setUpTenant, startPublic, submit, probeStep } from './engine-fixture.ts';

/** A journey acts on a user only as far as its starter may, and issues an ID token only after authenticating. */
for (const kind of DATABASE_KINDS) {
  describe(`journeys and identity permissions on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let userId: string;

    before(async () => {
      server = await startTestServer({ kind, stepTypes: [probeStep] });
      ({ admin, userId } = await setUpTenant(server));
    });
    after(() => server.close());

    async function clientWith(permissions: string[]) {
      const created = await admin.api.post('/api/admin/clients', { name: `c-${permissions.length}-${Math.random()}`, permissions });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return server.http.withToken(await server.token(created.body.clientId, created.body.clientSecret));
    }
    const journeyState = async () => ({
      instances: (await instanceRows(server)).length,
      events: (await server.database.db.selectFrom('audit_events').select('id').where('target_type', '=', 'journey').execute()).length,
    });

    test('a client holding only Journeys:* cannot start a journey naming a user: 403, nothing stored, no user data', async () => {
      const journeysOnly = await clientWith(['TNT#acme#Journeys:*']);
      assert.equal((await journeysOnly.get('/api/identity-store/stores/customers/users')).status, 403);
      // The attack: publish a one-step success journey, start it naming alice.
      assert.equal((await journeysOnly.post('/api/journeys', { journeyId: 'grab' })).status, 201);
      assert.equal(
        (await journeysOnly.request('PUT', '/api/journeys/grab/draft', { definition: definition([endSuccess('done')], { access: { public: false } }) })).status,
        200,
      );
      assert.equal((await journeysOnly.post('/api/journeys/grab/publish')).status, 201);
      const before = await journeyState();
      for (const user of [{ userId }, { externalId: 'ext-alice' }, { userId: 'no-such-user' }]) {
        const started = await journeysOnly.post('/acme/journeys/grab/start', { user });
        assert.equal(started.status, 403, JSON.stringify(user));
        assert.equal(started.body.code, 'FORBIDDEN');
        assert.match(started.body.detail, 'userId' in user ? /TNT#acme#IdentityStore:getUser$/ : /TNT#acme#IdentityStore:getUserByExtId$/);
        assert.ok(!JSON.stringify(started.body).includes('alice'), 'nothing about the user leaks');
      }
      assert.deepEqual(await journeyState(), before, 'no instance, no audit event');
    });

    test('with the permission to read the user the start is allowed, but a journey that authenticated nobody yields no ID token and no user record', async () => {
      await publish(admin, 'named', definition([endSuccess('done')], { access: { public: false } }));
      const reader = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser']);
      const byId = await reader.post('/acme/journeys/named/start', { user: { userId } });
      assert.equal(byId.status, 200, JSON.stringify(byId.body));
      assert.equal(byId.body.journeyStepId, 'success');
      assert.deepEqual(byId.body.data, {}, 'no idToken, no user record');
      const byExtId = await reader.post('/acme/journeys/named/start', { user: { externalId: 'ext-alice' } });
      assert.equal(byExtId.status, 403, 'the external id needs IdentityStore:getUserByExtId');
      const wildcard = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:*']);
      assert.equal((await wildcard.post('/acme/journeys/named/start', { user: { externalId: 'ext-alice' } })).status, 200);
    });

    test('an ID token only for the user a step authenticated; a user the journey identified without authenticating comes back without one', async () => {
      await publish(admin, 'probe', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const identified = await submit(server, (await startPublic(server, 'probe')).body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { user: userId },
      });
      assert.equal(identified.body.journeyStepId, 'success', JSON.stringify(identified.body));
      assert.equal(identified.body.data.user.id, userId);
      assert.equal(identified.body.data.idToken, undefined);
      const authenticated = await submit(server, (await startPublic(server, 'probe')).body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { user: userId, authenticated: true },
      });
      const claims = decodeJwt(authenticated.body.data.idToken);
      assert.equal(claims.sub, userId);
      assert.deepEqual(claims.amr, ['pop', 'user']);
      assert.equal(claims.aud, ORIGIN);
    });

    test('user and _authentication cannot be written by a definition or by client data routed into a variable', async () => {
      await publish(admin, 'forge', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      for (const set of [
        { user: { storeName: 'customers', userId } },
        { _authentication: { userId, amr: ['pop'], credentialId: 'x', attested: true, deviceBound: true, authTime: new Date().toISOString() } },
      ]) {
        const forged = await submit(server, (await startPublic(server, 'forge')).body.sessionId, { clientResponseOptionId: 'client_input', data: { set } });
        assert.equal(forged.body.journeyStepId, 'rejection', JSON.stringify(set));
        assert.equal(forged.body.data.code, 'JOURNEY_STEP_FAILED');
        assert.equal(forged.body.data.idToken, undefined);
      }
      // A stale authentication of someone else does not count for the current user.
      const other = await admin.api.post('/api/identity-store/stores/customers/users', { userKey: 'bob' });
      await publish(
        admin,
        'switch',
        definition([
          { id: 'ask', type: 'test.prompt', outcomes: { next: 'ask2' } },
          { id: 'ask2', type: 'test.prompt', outcomes: { next: 'done' } },
          endSuccess(),
        ]),
      );
      const first = await submit(server, (await startPublic(server, 'switch')).body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { user: other.body.id, authenticated: true },
      });
      const second = await submit(server, first.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(second.body.journeyStepId, 'success');
      assert.equal(second.body.data.user.id, userId);
      assert.equal(second.body.data.idToken, undefined);
      const setVariables = await admin.api.request('PUT', '/api/journeys/forge/draft', {
        definition: definition([
          { id: 'set', type: 'general.setVariables', parameters: { variables: { _authentication: { amr: ['pop'] } } }, outcomes: { success: 'done' } },
          endSuccess(),
        ]),
      });
      assert.equal(setVariables.status, 200, 'a draft may be invalid');
      const refused = await admin.api.post('/api/journeys/forge/publish');
      assert.equal(refused.status, 400, 'Set Variables may not name _authentication');
      assert.match(JSON.stringify(refused.body), /_authentication|propertyNames|variables/);
    });
  });
}
