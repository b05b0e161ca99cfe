import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { expectProblem } from '../selfservice/selfservice-fixture.ts';
import * as oidc from 'openid-client';
import { ISSUER, OidcWorld, REDIRECT_URI, STORE, authorize, codeFlow, expectStatus } from './oidc-fixture.ts';

const CLIENTS = '/api/oidc/clients';

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Connect clients admin API on ${kind}`, () => {
    let world: OidcWorld;
    before(async () => {
      world = await OidcWorld.create(kind);
    });
    after(() => world.close());

    const api = () => world.acme.api;
    const count = async () =>
      Number(
        (
          await world.db
            .selectFrom('oidc_clients')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    test('a confidential client: 201 with its secret once, stored only as a hash; reads never show it', async () => {
      const created = await expectStatus(
        api().post(CLIENTS, { name: 'Web app', store: STORE, redirectUris: [REDIRECT_URI], postLogoutRedirectUris: ['https://app.keyway.test/'] }),
        201,
      );
      const body = created.body as Record<string, unknown>;
      assert.match(String(body.clientId), /^kwo_/);
      assert.match(String(body.clientSecret), /^kwos_/);
      assert.deepEqual(
        {
          store: body.store,
          public: body.public,
          firstParty: body.firstParty,
          scopes: body.scopes,
          subjectType: body.subjectType,
          loginJourney: body.loginJourney,
        },
        { store: STORE, public: false, firstParty: false, scopes: ['openid', 'profile', 'email', 'offline_access'], subjectType: 'public', loginJourney: null },
      );
      const row = await world.db.selectFrom('oidc_clients').selectAll().where('id', '=', String(body.clientId)).executeTakeFirstOrThrow();
      assert.match(row.secret_hash!, /^scrypt\$/);
      const read = await expectStatus(api().get(`${CLIENTS}/${String(body.clientId)}`), 200);
      assert.equal((read.body as Record<string, unknown>).clientSecret, undefined);
      const listed = await expectStatus(api().get(CLIENTS), 200);
      assert.ok((listed.body as { items: { clientId: string }[] }).items.some((c) => c.clientId === body.clientId));
      const audit = await world.db.selectFrom('audit_events').select(['action', 'details']).where('target_id', '=', String(body.clientId)).execute();
      assert.deepEqual(
        audit.map((a) => a.action),
        ['oidc.client.create'],
      );
      assert.ok(!String(audit[0]!.details).includes(String(body.clientSecret)));
    });

    test('a public client has no secret, and rotating one is 409 OIDC_CLIENT_PUBLIC', async () => {
      const created = await expectStatus(
        api().post(CLIENTS, { name: 'SPA', store: STORE, redirectUris: ['http://localhost:5173/callback'], public: true }),
        201,
      );
      const body = created.body as { clientId: string; clientSecret?: string };
      assert.equal(body.clientSecret, undefined);
      await expectProblem(api().post(`${CLIENTS}/${body.clientId}/secret`), 409, 'OIDC_CLIENT_PUBLIC');
    });

    test('bad input is a clear 4xx with its code and changes nothing', async () => {
      const before = await count();
      const cases: [Record<string, unknown>, number, string][] = [
        [{ redirectUris: ['http://app.example.com/cb'] }, 400, 'OIDC_REDIRECT_URI_INVALID'],
        [{ redirectUris: ['https://app.example.com/cb#frag'] }, 400, 'OIDC_REDIRECT_URI_INVALID'],
        [{ redirectUris: ['javascript:alert(1)'] }, 400, 'OIDC_REDIRECT_URI_INVALID'],
        [{ redirectUris: ['https://user:pw@app.example.com/cb'] }, 400, 'OIDC_REDIRECT_URI_INVALID'],
        [{ redirectUris: ['/relative'] }, 400, 'OIDC_REDIRECT_URI_INVALID'],
        [{ postLogoutRedirectUris: ['http://evil.example/'] }, 400, 'OIDC_REDIRECT_URI_INVALID'],
        [{ scopes: ['profile'] }, 400, 'OIDC_SCOPE_UNSUPPORTED'],
        [{ scopes: ['openid', 'admin'] }, 400, 'VALIDATION_FAILED'],
        [{ store: 'nope' }, 404, 'STORE_NOT_FOUND'],
        [{ loginJourney: 'no-such-journey' }, 404, 'JOURNEY_NOT_FOUND'],
        [{ redirectUris: [] }, 400, 'VALIDATION_FAILED'],
        [{ extra: true }, 400, 'VALIDATION_FAILED'],
        // A pairwise client's sector is its redirect URIs' one host.
        [{ subjectType: 'pairwise', redirectUris: [REDIRECT_URI, 'https://other.keyway.test/callback'] }, 400, 'OIDC_REDIRECT_URI_INVALID'],
      ];
      for (const [patch, status, code] of cases) {
        await expectProblem(api().post(CLIENTS, { name: 'Bad', store: STORE, redirectUris: [REDIRECT_URI], ...patch }), status, code);
      }
      assert.equal(await count(), before);
    });

    test('update, rotate and delete: each audited; the old secret stops working; delete revokes what was issued', async () => {
      const created = await world.register({ name: 'Rotating', firstParty: false });
      const id = created.clientId;
      const updated = await expectStatus(
        api().patch(`${CLIENTS}/${id}`, { name: 'Renamed', firstParty: true, redirectUris: ['com.example.app:/callback'] }),
        200,
      );
      assert.equal((updated.body as { name: string }).name, 'Renamed');
      assert.deepEqual((updated.body as { redirectUris: string[] }).redirectUris, ['com.example.app:/callback']);
      await expectProblem(api().patch(`${CLIENTS}/${id}`, { redirectUris: ['ftp://x'] }), 400, 'OIDC_REDIRECT_URI_INVALID');
      // Pairwise with redirect URIs on two hosts, whichever of the two the update changes: refused, nothing changed.
      await expectStatus(api().patch(`${CLIENTS}/${id}`, { redirectUris: [REDIRECT_URI, 'https://other.keyway.test/callback'] }), 200);
      await expectProblem(api().patch(`${CLIENTS}/${id}`, { subjectType: 'pairwise' }), 400, 'OIDC_REDIRECT_URI_INVALID');
      await expectStatus(api().patch(`${CLIENTS}/${id}`, { subjectType: 'pairwise', redirectUris: ['com.example.app:/callback'] }), 200);
      await expectProblem(
        api().patch(`${CLIENTS}/${id}`, { redirectUris: [REDIRECT_URI, 'https://other.keyway.test/callback'] }),
        400,
        'OIDC_REDIRECT_URI_INVALID',
      );
      const unchanged = await expectStatus(api().get(`${CLIENTS}/${id}`), 200);
      assert.deepEqual(unchanged.body as { redirectUris: string[]; subjectType: string }, {
        ...(unchanged.body as object),
        redirectUris: ['com.example.app:/callback'],
        subjectType: 'pairwise',
      });
      const rotated = await expectStatus(api().post(`${CLIENTS}/${id}/secret`), 200);
      const secret = (rotated.body as { clientSecret: string }).clientSecret;
      assert.notEqual(secret, created.clientSecret);
      const tokenWith = (s: string) =>
        world.publicFetch(`${world.server.config.publicUrl}/acme/oidc/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${s}`).toString('base64')}` },
          body: 'grant_type=refresh_token&refresh_token=x',
        });
      assert.equal((await tokenWith(created.clientSecret!)).status, 401, 'the old secret no longer authenticates');
      assert.equal((await tokenWith(secret)).status, 400, 'the new one does (the refresh token is what is refused)');
      // Something issued to the client, then the client deleted: gone with it.
      await world.db
        .insertInto('oidc_state')
        .values({
          tenant_id: 'acme',
          model: 'AccessToken',
          id: 'at-1',
          payload: JSON.stringify({ clientId: id }),
          client_id: id,
          grant_id: 'g1',
          user_code: null,
          uid: null,
          expires_at: Date.now() + 60_000,
          consumed_at: null,
        })
        .execute();
      await expectStatus(api().delete(`${CLIENTS}/${id}`), 204);
      await expectProblem(api().get(`${CLIENTS}/${id}`), 404, 'OIDC_CLIENT_NOT_FOUND');
      assert.equal((await world.db.selectFrom('oidc_state').select('id').where('client_id', '=', id).execute()).length, 0);
      const actions = (await world.db.selectFrom('audit_events').select('action').where('target_id', '=', id).orderBy('id').execute()).map((a) => a.action);
      assert.deepEqual(actions, [
        'oidc.client.create',
        'oidc.client.update',
        'oidc.client.update',
        'oidc.client.update',
        'oidc.client.rotateSecret',
        'oidc.client.delete',
        'oidc.accessToken.revoke',
      ]);
      const revoked = await world.db
        .selectFrom('audit_events')
        .select('details')
        .where('target_id', '=', id)
        .where('action', '=', 'oidc.accessToken.revoke')
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(String(revoked.details)), { store: STORE, count: 1, reason: 'clientDeleted' });
    });

    test('narrowing a client (a scope taken away, consent now required, another subject type) revokes what was issued to it; other changes do not', async () => {
      const client = await world.register({ name: 'Narrowed', scopes: ['openid', 'profile', 'email', 'offline_access'] });
      const config = await world.relyingParty(client);
      const browser = world.browser();
      const { authenticator } = await world.signUp(browser, 'narrowed@example.com');
      const signIn = async (scope = 'openid profile email offline_access') => {
        const flow = await codeFlow(config, { prompt: 'consent', scope });
        const { location } = await authorize(world, browser, flow.url, () => world.signIn(browser, authenticator));
        return oidc.authorizationCodeGrant(config, new URL(location), {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
        });
      };
      const issued = async () =>
        (await world.db.selectFrom('oidc_state').select('model').where('client_id', '=', client.clientId).execute()).map((r) => r.model).sort();
      const refusedRefresh = async (refreshToken: string) => {
        try {
          await oidc.refreshTokenGrant(config, refreshToken);
        } catch (error) {
          const e = error as { error?: string; cause?: { error?: string } };
          return e.error ?? e.cause?.error;
        }
        return 'refreshed';
      };

      let tokens = await signIn();
      assert.ok(tokens.refresh_token);
      // A change that takes nothing away: the tokens live on.
      await expectStatus(
        api().patch(`${CLIENTS}/${client.clientId}`, { name: 'Narrowed app', redirectUris: [REDIRECT_URI, 'https://app.keyway.test/other'] }),
        200,
      );
      await expectStatus(api().patch(`${CLIENTS}/${client.clientId}`, { scopes: ['openid', 'profile', 'email', 'offline_access', 'phone'] }), 200);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.ok((await issued()).includes('RefreshToken'));

      // email taken away: the refresh token would have kept it. Everything issued goes, audited with the reason.
      const before = await issued();
      await expectStatus(api().patch(`${CLIENTS}/${client.clientId}`, { scopes: ['openid', 'profile', 'offline_access'] }), 200);
      assert.deepEqual(await issued(), []);
      assert.equal(await refusedRefresh(refreshed.refresh_token!), 'invalid_grant');
      const userinfo = await world.publicFetch(`${ISSUER}/oidc/userinfo`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
      assert.equal(userinfo.status, 401);
      const revocations = await world.db
        .selectFrom('audit_events')
        .select(['action', 'details'])
        .where('target_id', '=', client.clientId)
        .where('action', 'like', 'oidc.%.revoke')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        revocations.map((r) => [r.action, JSON.parse(String(r.details))]),
        [
          ['oidc.accessToken.revoke', { store: STORE, count: before.filter((m) => m === 'AccessToken').length, reason: 'clientNarrowed' }],
          ['oidc.refreshToken.revoke', { store: STORE, count: before.filter((m) => m === 'RefreshToken').length, reason: 'clientNarrowed' }],
        ],
      );
      // The user signs in again, within the new scopes (email is no longer one: asking for it is invalid_scope).
      tokens = await signIn('openid profile offline_access');
      assert.equal(tokens.claims()!.email, undefined);

      // First-party to third-party: the grant had been given without asking; now the user is asked.
      await expectStatus(api().patch(`${CLIENTS}/${client.clientId}`, { firstParty: false }), 200);
      assert.deepEqual(await issued(), []);
      const asked = await world.navigate(browser, (await codeFlow(config, { scope: 'openid profile offline_access' })).url);
      assert.equal(asked.location, undefined, `no code without consent: ${asked.location}`);
      assert.match(asked.page!.url, /\/acme\/oidc\/interaction\//);
      assert.match(asked.page!.body, /Narrowed app/);
      assert.equal(await refusedRefresh(tokens.refresh_token!), 'invalid_grant');

      // Another subject type: the client's tokens named its users by the old subjects.
      await expectStatus(api().patch(`${CLIENTS}/${client.clientId}`, { firstParty: true }), 200);
      tokens = await signIn('openid profile offline_access');
      await expectStatus(api().patch(`${CLIENTS}/${client.clientId}`, { subjectType: 'pairwise' }), 200);
      assert.deepEqual(await issued(), []);
      assert.equal(await refusedRefresh(tokens.refresh_token!), 'invalid_grant');
    });

    test('permissions: each route needs its Oidc permission; another tenant’s client is 404', async () => {
      const created = await world.register({ name: 'Guarded' });
      const acme = world.acme;
      const narrow = await expectStatus(acme.api.post('/api/admin/clients', { name: 'reader', permissions: ['TNT#acme#Oidc:getClient'] }), 201);
      const { clientId, clientSecret } = narrow.body as { clientId: string; clientSecret: string };
      const reader = world.server.http.withToken(await world.server.token(clientId, clientSecret));
      await expectStatus(reader.get(`${CLIENTS}/${created.clientId}`), 200);
      await expectProblem(reader.get(CLIENTS), 403, 'FORBIDDEN');
      await expectProblem(reader.post(CLIENTS, { name: 'x', store: STORE, redirectUris: [REDIRECT_URI] }), 403, 'FORBIDDEN');
      await expectProblem(reader.delete(`${CLIENTS}/${created.clientId}`), 403, 'FORBIDDEN');
      await expectProblem(world.server.http.get(CLIENTS), 401, 'UNAUTHENTICATED');
      const globex = await world.server.tenant('globex-api');
      await expectProblem(globex.api.get(`${CLIENTS}/${created.clientId}`), 404, 'OIDC_CLIENT_NOT_FOUND');
      await expectProblem(globex.api.delete(`${CLIENTS}/${created.clientId}`), 404, 'OIDC_CLIENT_NOT_FOUND');
      assert.equal(((await expectStatus(globex.api.get(CLIENTS), 200)).body as { items: unknown[] }).items.length, 0);
    });

    test('permissions: exactly TNT#{tenant}#Oidc:{action}Client opens each route, and no other', async () => {
      const target = await world.register({ name: 'Permission target' });
      const path = `${CLIENTS}/${target.clientId}`;
      type Caller = ReturnType<typeof world.server.http.withToken>;
      // Each action's request; a permitted one answers anything but 403 (a body that is wrong still passed the gate).
      const routes: Record<string, (caller: Caller) => Promise<{ status: number }>> = {
        createClient: (c) => c.post(CLIENTS, { name: 'Created', store: STORE, redirectUris: [REDIRECT_URI] }),
        listClient: (c) => c.get(CLIENTS),
        getClient: (c) => c.get(path),
        updateClient: (c) => c.patch(path, { name: 'Updated' }),
        rotateClient: (c) => c.post(`${path}/secret`),
        deleteClient: (c) => c.delete(`${CLIENTS}/kwo_00000000000000000000000000`),
      };
      for (const action of Object.keys(routes)) {
        const created = await expectStatus(
          world.acme.api.post('/api/admin/clients', { name: `only ${action}`, permissions: [`TNT#acme#Oidc:${action}`] }),
          201,
        );
        const { clientId, clientSecret } = created.body as { clientId: string; clientSecret: string };
        const caller = world.server.http.withToken(await world.server.token(clientId, clientSecret));
        for (const [other, call] of Object.entries(routes)) {
          const response = await call(caller);
          if (other === action) assert.notEqual(response.status, 403, `${action} opens its own route`);
          else assert.equal(response.status, 403, `${action} does not open ${other}`);
        }
      }
    });
  });
}
