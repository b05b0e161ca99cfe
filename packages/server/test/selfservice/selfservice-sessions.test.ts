// Browser self-service through real HTTP on both databases: sign-up → /me → logout (the session dies
// server-side) → identifier-first and usernameless sign-in, cookie attributes, session rotation at sign-in, flow
// binding to the browser, CSRF and CORS, the store configuration, and the admin session API.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { latestRefusalCode } from '../support/audited-refusal.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ADMIN, BASE, Browser, ORIGIN, RP_ID, SELF_SERVICE, SelfServiceWorld, STORE, expectProblem, expectStatus } from './selfservice-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`self-service sessions on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('sign-up → /me → logout kills the session server-side → sign in again by identifier and usernameless', async () => {
      const browser = world.browser();
      const begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier: '  alice@example.com ', displayName: 'Alice Example' }), 200);
      assert.deepEqual(Object.keys(begun.body), ['publicKey']);
      assert.equal(begun.body.publicKey.rp.id, RP_ID);
      assert.equal(begun.body.publicKey.user.name, 'alice@example.com');
      assert.equal(begun.body.publicKey.user.displayName, 'Alice Example');
      const flowCookie = begun.setCookies.find((c) => c.name === 'keyway_flow');
      assert.ok(flowCookie);
      assert.equal(flowCookie.httpOnly, true);
      assert.equal(flowCookie.sameSite, 'strict');
      assert.equal(flowCookie.secure, true);
      assert.equal(flowCookie.path, BASE);
      const pending = await world.db.selectFrom('users').selectAll().where('user_key', '=', 'alice@example.com').executeTakeFirstOrThrow();
      assert.equal(pending.status, 'pending');

      const authenticator = new SoftAuthenticator();
      const credential = authenticator.register(begun.body.publicKey, { origin: ORIGIN });
      const finished = await expectStatus(browser.post('/register/webauthn/finish', credential), 201);
      assert.equal(finished.body.user.userKey, 'alice@example.com');
      assert.equal(finished.body.user.displayName, 'Alice Example');
      assert.equal(finished.body.user.status, 'active');
      assert.equal(finished.body.credential.credentialId, credential.id);
      const sessionCookie = finished.setCookies.find((c) => c.name === 'keyway_session');
      assert.ok(sessionCookie?.value);
      assert.equal(sessionCookie.httpOnly, true);
      assert.equal(sessionCookie.sameSite, 'lax');
      assert.equal(sessionCookie.secure, true);
      assert.equal(sessionCookie.path, '/acme');
      assert.equal(sessionCookie.maxAge, 28_800);
      // Only the hash of the cookie is stored.
      const stored = await world.db.selectFrom('selfservice_sessions').selectAll().where('user_id', '=', pending.id).execute();
      assert.equal(stored.length, 1);
      assert.notEqual(stored[0]!.token_hash, sessionCookie.value);
      assert.equal(await world.db.selectFrom('selfservice_pending_signups').selectAll().where('user_id', '=', pending.id).executeTakeFirst(), undefined);

      const me = await expectStatus(browser.get('/me'), 200);
      assert.equal(me.body.user.id, pending.id);
      assert.equal(me.body.user.displayName, 'Alice Example');
      assert.equal(me.body.session.authenticatedAt, '2026-03-01T10:00:00.000Z');
      assert.equal(me.body.session.expiresAt, '2026-03-01T18:00:00.000Z');

      const stolen = new Browser(world.server.url);
      stolen.cookies.set('keyway_session', browser.cookies.get('keyway_session')!);
      const loggedOut = await expectStatus(browser.post('/logout'), 204);
      assert.equal(loggedOut.setCookies.find((c) => c.name === 'keyway_session')?.maxAge, 0);
      assert.equal(browser.cookies.has('keyway_session'), false);
      // Replaying the old cookie: the session is dead on the server, not only forgotten by the browser.
      await expectProblem(stolen.get('/me'), 401, 'SESSION_REQUIRED');
      const row = await world.db.selectFrom('selfservice_sessions').selectAll().where('id', '=', stored[0]!.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.revoked_at), Date.parse('2026-03-01T10:00:00Z'));

      // Identifier-first sign-in: the options list the passkey first (then decoys up to the identifier's minimum count).
      const options = await expectStatus(browser.post('/login/webauthn/options', { identifier: 'alice@example.com' }), 200);
      assert.equal(options.body.publicKey.allowCredentials[0].id, credential.id);
      const assertion = authenticator.authenticate(options.body.publicKey, { origin: ORIGIN });
      const signedIn = await expectStatus(browser.post('/login/webauthn/finish', assertion), 200);
      assert.equal(signedIn.body.user.id, pending.id);
      assert.equal(signedIn.body.user.displayName, 'Alice Example');
      assert.match(signedIn.body.idToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      await expectStatus(browser.get('/me'), 200);

      // Usernameless: no identifier, empty allowCredentials, the authenticator picks the discoverable credential.
      const discoverable = await expectStatus(browser.post('/login/webauthn/options'), 200);
      assert.deepEqual(discoverable.body.publicKey.allowCredentials, []);
      const picked = authenticator.authenticate(discoverable.body.publicKey, { origin: ORIGIN, credentialId: credential.id });
      await expectStatus(browser.post('/login/webauthn/finish', picked), 200);
      await expectStatus(browser.get('/me'), 200);

      const actions = await world.auditActions();
      for (const action of ['selfservice.signUp', 'selfservice.logout', 'selfservice.signIn']) assert.ok(actions.includes(action), action);
    });

    test('session rotation at sign-in: the previous cookie dies, the new one works', async () => {
      const browser = world.browser();
      const { authenticator } = await world.signUp(browser, 'rotate@example.com');
      const first = browser.cookies.get('keyway_session')!;
      await world.signIn(browser, authenticator, 'rotate@example.com');
      const second = browser.cookies.get('keyway_session')!;
      assert.notEqual(first, second);
      const old = new Browser(world.server.url);
      old.cookies.set('keyway_session', first);
      await expectProblem(old.get('/me'), 401, 'SESSION_REQUIRED');
      await expectStatus(browser.get('/me'), 200);
    });

    test('the session cookie begins with its time and is stored as that time and a hash; a cookie of the older shape still works', async () => {
      const browser = world.browser();
      const { user } = await world.signUp(browser, 'token-shape@example.com');
      const token = browser.cookies.get('keyway_session')!;
      // 16 hex digits of the sign-in's epoch milliseconds (the world's clock), then 32 random bytes.
      assert.match(token, /^[0-9a-f]{16}[A-Za-z0-9_-]{43}$/);
      assert.equal(parseInt(token.slice(0, 16), 16), Date.parse('2026-03-01T10:00:00Z'));
      const row = await world.db.selectFrom('selfservice_sessions').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(row.token_hash, token.slice(0, 16) + createHash('sha256').update(token).digest('hex'));
      assert.ok(!row.token_hash.includes(token.slice(16)), 'the secret part is stored only hashed');

      // A session opened before the time prefix: a plain 43-character token, stored as its SHA-256.
      const plain = randomBytes(32).toString('base64url');
      await world.db
        .updateTable('selfservice_sessions')
        .set({ token_hash: createHash('sha256').update(plain).digest('hex') })
        .where('id', '=', row.id)
        .execute();
      const older = new Browser(world.server.url);
      older.cookies.set('keyway_session', plain);
      assert.equal((await expectStatus(older.get('/me'), 200)).body.user.id, user.id);
      await expectProblem(browser.get('/me'), 401, 'SESSION_REQUIRED');
      // A time prefix in front of the old token is another token, not a way to reach its session.
      const prefixed = new Browser(world.server.url);
      prefixed.cookies.set('keyway_session', token.slice(0, 16) + plain);
      await expectProblem(prefixed.get('/me'), 401, 'SESSION_REQUIRED');
      await expectStatus(older.post('/logout'), 204);
      assert.notEqual(
        (await world.db.selectFrom('selfservice_sessions').select('revoked_at').where('id', '=', row.id).executeTakeFirstOrThrow()).revoked_at,
        null,
      );
    });

    test('a ceremony is bound to the browser that began it: another browser cannot finish it', async () => {
      const browser = world.browser();
      const begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier: 'bound@example.com' }), 200);
      const credential = new SoftAuthenticator().register(begun.body.publicKey, { origin: ORIGIN });
      const before = await world.counts();
      await expectProblem(world.browser().post('/register/webauthn/finish', credential), 400, 'FLOW_NOT_FOUND');
      const other = world.browser();
      await expectStatus(other.post('/login/webauthn/options'), 200); // has a flow cookie, but not for this challenge
      await expectProblem(other.post('/register/webauthn/finish', credential), 400, 'FLOW_NOT_FOUND');
      const after = await world.counts();
      assert.equal(after.credentials, before.credentials);
      assert.equal(after.selfservice_sessions, before.selfservice_sessions);
      await expectStatus(browser.post('/register/webauthn/finish', credential), 201);
    });

    test('two ceremonies open in one browser (autofill waiting, then a button) both finish', async () => {
      const browser = world.browser();
      const { authenticator, credentialId } = await world.signUp(browser, 'two-flows@example.com');
      const autofill = await expectStatus(browser.post('/login/webauthn/options'), 200);
      const button = await expectStatus(browser.post('/login/webauthn/options', { identifier: 'two-flows@example.com' }), 200);
      await expectStatus(browser.post('/login/webauthn/finish', authenticator.authenticate(autofill.body.publicKey, { origin: ORIGIN, credentialId })), 200);
      await expectStatus(browser.post('/login/webauthn/finish', authenticator.authenticate(button.body.publicKey, { origin: ORIGIN })), 200);
    });

    test('sign-up: a taken identifier is 409 at begin; an unfinished sign-up does not hold it; a racing second finish is 409', async () => {
      const browser = world.browser();
      await world.signUp(browser, 'taken@example.com');
      await expectProblem(world.browser().post('/register/webauthn/begin', { identifier: 'taken@example.com' }), 409, 'IDENTIFIER_TAKEN');
      // An admin-created account without passkey is not claimable by sign-up either.
      await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'admin-made@example.com', status: 'pending' }), 201);
      await expectProblem(world.browser().post('/register/webauthn/begin', { identifier: 'admin-made@example.com' }), 409, 'IDENTIFIER_TAKEN');

      const first = world.browser();
      const second = world.browser();
      const a = await expectStatus(first.post('/register/webauthn/begin', { identifier: 'race@example.com' }), 200);
      const b = await expectStatus(second.post('/register/webauthn/begin', { identifier: 'race@example.com' }), 200);
      await expectStatus(first.post('/register/webauthn/finish', new SoftAuthenticator().register(a.body.publicKey, { origin: ORIGIN })), 201);
      const before = await world.counts();
      await expectProblem(
        second.post('/register/webauthn/finish', new SoftAuthenticator().register(b.body.publicKey, { origin: ORIGIN })),
        409,
        'IDENTIFIER_TAKEN',
      );
      const after = await world.counts();
      assert.deepEqual(after, before, 'the refused finish changed nothing');
    });

    test('sign-up: two begins racing for one new identifier share one pending account; either browser can finish', async () => {
      const [first, second] = [world.browser(), world.browser()];
      // Both look the identifier up before either stores it: one stores the account with its ceremony, the other's
      // store fails on the unique key and starts its ceremony for that account instead.
      const [a, b] = await Promise.all([
        expectStatus(first.post('/register/webauthn/begin', { identifier: 'together@example.com' }), 200),
        expectStatus(second.post('/register/webauthn/begin', { identifier: 'together@example.com' }), 200),
      ]);
      assert.equal(a.body.publicKey.user.id, b.body.publicKey.user.id, 'one account, one user handle');
      const accounts = await world.db.selectFrom('users').select(['id', 'status']).where('user_key', '=', 'together@example.com').execute();
      assert.deepEqual(
        accounts.map((account) => account.status),
        ['pending'],
      );
      const listed = await world.db.selectFrom('selfservice_pending_signups').select('user_id').where('user_id', '=', accounts[0]!.id).execute();
      assert.equal(listed.length, 1);
      await expectStatus(second.post('/register/webauthn/finish', new SoftAuthenticator().register(b.body.publicKey, { origin: ORIGIN })), 201);
      const after = await world.db.selectFrom('users').select('status').where('id', '=', accounts[0]!.id).executeTakeFirstOrThrow();
      assert.equal(after.status, 'active');
    });

    test('sign-up: an account another sign-up stores between the lookup and the start is used, not duplicated', async () => {
      const { identity, ceremonies } = world.server.services;
      let concurrent: Promise<unknown> | undefined;
      // Seams of the service's own: the account is created by "another browser" once this begin has looked the
      // identifier up and found nothing, and has committed before this begin's transaction stores the account it built.
      // The wait is before that transaction, not inside it: on SQLite a transaction shares its COMMIT with the others
      // of its loop turn, so one must never wait inside for another to be answered.
      const racing = world.selfServiceWith({
        identity: {
          findStore: (...args) => identity.findStore(...args),
          endWhatUserDeletionEnds: (...args) => identity.endWhatUserDeletionEnds(...args),
          deleteUser: (...args) => identity.deleteUser(...args),
          preparePendingUser: (actor, store, input, createdBy, options) => {
            concurrent = identity.createPendingUser(actor, store.name, input, 'self-service');
            return identity.preparePendingUser(actor, store, input, createdBy, options);
          },
        },
        ceremonies: {
          startRegistration: async (...args) => {
            await concurrent;
            return ceremonies.startRegistration(...args);
          },
          completeRegistration: (...args) => ceremonies.completeRegistration(...args),
          startAuthentication: (...args) => ceremonies.startAuthentication(...args),
          completeAuthentication: (...args) => ceremonies.completeAuthentication(...args),
        },
      });
      const request = {
        tenantId: 'acme',
        storeName: STORE,
        requestId: 'race',
        clientIp: '127.0.3.1',
        userAgent: undefined,
        flowToken: undefined,
        sessionToken: undefined,
      };
      const started = await racing.registerBegin(request, { identifier: 'between@example.com' });
      const other = (await concurrent) as { id: string };
      const accounts = await world.db.selectFrom('users').select(['id', 'user_handle']).where('user_key', '=', 'between@example.com').execute();
      assert.deepEqual(
        accounts.map((account) => account.id),
        [other.id],
        'the other sign-up’s account, and no second one',
      );
      assert.equal(started.publicKey.user.id, accounts[0]!.user_handle);
      const flow = await world.db.selectFrom('selfservice_flows').select('user_id').where('identifier', '=', 'between@example.com').executeTakeFirstOrThrow();
      assert.equal(flow.user_id, other.id);
      // Charged once: the rolled-back first attempt's charge is not counted twice.
      const window = await world.db.selectFrom('selfservice_rate_limits').select('count').where('key', '=', 'ip|acme|127.0.3.1').executeTakeFirstOrThrow();
      assert.equal(Number(window.count), 1);
    });

    test('a flow whose ceremony session is gone (purged) is SESSION_NOT_FOUND at finish, and changes nothing', async () => {
      const browser = world.browser();
      const { authenticator } = await world.signUp(browser, 'session-gone@example.com');
      const options = await expectStatus(browser.post('/login/webauthn/options', { identifier: 'session-gone@example.com' }), 200);
      await world.db.deleteFrom('ceremony_sessions').where('challenge', '=', options.body.publicKey.challenge).execute();
      const before = await world.counts();
      await expectProblem(
        browser.post('/login/webauthn/finish', authenticator.authenticate(options.body.publicKey, { origin: ORIGIN })),
        404,
        'SESSION_NOT_FOUND',
      );
      assert.deepEqual(await world.counts(), before);
      assert.equal(await latestRefusalCode(world.db, 'passkey.authenticate'), 'SESSION_NOT_FOUND', 'the refusal is audited with its code');
    });

    test('an unknown credential at sign-in is CREDENTIAL_NOT_FOUND (for signalUnknownCredential)', async () => {
      const browser = world.browser();
      const stranger = new SoftAuthenticator();
      stranger.register(
        {
          rp: { id: RP_ID, name: 'x' },
          user: { id: 'AAAA', name: 'x', displayName: 'x' },
          challenge: 'AAAA',
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        },
        { origin: ORIGIN },
      );
      const options = await expectStatus(browser.post('/login/webauthn/options'), 200);
      const before = await world.counts();
      await expectProblem(
        browser.post('/login/webauthn/finish', stranger.authenticate(options.body.publicKey, { origin: ORIGIN })),
        400,
        'CREDENTIAL_NOT_FOUND',
      );
      assert.deepEqual(await world.counts(), before);
    });

    test('CSRF: a cross-site POST (foreign Origin, Sec-Fetch-Site: cross-site, no Origin) is refused and changes nothing', async () => {
      const browser = world.browser();
      await world.signUp(browser, 'csrf@example.com');
      const session = browser.cookies.get('keyway_session')!;
      const before = await world.counts();
      const evil = new Browser(world.server.url, { origin: 'https://evil.example' });
      evil.cookies.set('keyway_session', session);
      await expectProblem(evil.post('/logout'), 403, 'CSRF_REJECTED');
      await expectProblem(evil.post('/register/webauthn/begin', { identifier: 'csrf-victim@example.com' }), 403, 'CSRF_REJECTED');
      await expectProblem(evil.post('/login/webauthn/options', {}), 403, 'CSRF_REJECTED');
      const crossSite = new Browser(world.server.url, { headers: { 'sec-fetch-site': 'cross-site' } });
      crossSite.cookies.set('keyway_session', session);
      await expectProblem(crossSite.post('/logout'), 403, 'CSRF_REJECTED');
      await expectProblem(crossSite.delete('/me/passkeys/AAAA'), 403, 'CSRF_REJECTED');
      const noOrigin = new Browser(world.server.url, { origin: undefined });
      noOrigin.cookies.set('keyway_session', session);
      await expectProblem(noOrigin.post('/logout'), 403, 'CSRF_REJECTED');
      assert.deepEqual(await world.counts(), before, 'nothing changed');
      await expectStatus(browser.get('/me'), 200);
      // Same-origin and another origin of the RP are served.
      await expectStatus(
        new Browser(world.server.url, { origin: 'https://app.keyway.test', headers: { 'sec-fetch-site': 'same-site' } }).post('/login/webauthn/options'),
        200,
      );
    });

    test('CORS: answers and preflights allow only the RP’s origins, with credentials', async () => {
      const good = await world.browser().request('OPTIONS', `${BASE}/login/webauthn/options`, undefined, {
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      });
      assert.equal(good.status, 204);
      assert.equal(good.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(good.headers.get('access-control-allow-credentials'), 'true');
      assert.match(good.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(good.headers.get('access-control-allow-headers') ?? '', /content-type/);
      const evil = new Browser(world.server.url, { origin: 'https://evil.example' });
      const refused = await evil.request('OPTIONS', `${BASE}/login/webauthn/options`, undefined, { 'access-control-request-method': 'POST' });
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
      assert.equal(refused.headers.get('access-control-allow-methods'), null);
      assert.equal((await evil.get('/me')).headers.get('access-control-allow-origin'), null);
      // Errors are readable by the RP's pages too.
      const unauthenticated = await expectProblem(world.browser().get('/me'), 401, 'SESSION_REQUIRED');
      assert.equal(unauthenticated.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(unauthenticated.headers.get('vary') ?? '', /Origin/);
      const app = await new Browser(world.server.url, { origin: 'https://app.keyway.test' }).post('/login/webauthn/options');
      assert.equal(app.headers.get('access-control-allow-origin'), 'https://app.keyway.test');
    });

    test('store configuration: validated, returned by GET; disabled or unknown store → 404 SELF_SERVICE_DISABLED', async () => {
      const got = await expectStatus(world.api.get(ADMIN), 200);
      assert.deepEqual(got.body.selfService, { ...SELF_SERVICE, sessionTtlSeconds: 28_800, recoveryLinkTtlSeconds: 3600 });
      const invalid = await expectProblem(
        world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, relyingPartyId: 'nope.test', registrationPolicy: 'missing' } }),
        400,
        'VALIDATION_FAILED',
      );
      assert.deepEqual(
        invalid.body.errors.map((e: { field: string }) => e.field),
        ['selfService.relyingPartyId', 'selfService.registrationPolicy'],
      );
      await expectProblem(world.api.post('/api/identity-store/stores', { name: 'early', selfService: SELF_SERVICE }), 400, 'VALIDATION_FAILED');
      await expectStatus(world.api.post('/api/identity-store/stores', { name: 'other', selfService: { ...SELF_SERVICE, enabled: false } }), 201);
      // An RP whose origins do not include KEYWAY_PUBLIC_URL cannot serve the hosted pages.
      await expectStatus(
        world.api.post('/api/identity-store/stores/other/passkeys/relyingParties', { id: RP_ID, name: 'x', origins: ['https://app.keyway.test'] }),
        201,
      );
      await expectStatus(world.api.post('/api/identity-store/stores/other/passkeys/registrationPolicies', { name: 'default' }), 201);
      await expectStatus(world.api.post('/api/identity-store/stores/other/passkeys/authenticationPolicies', { name: 'default' }), 201);
      const originProblem = await expectProblem(world.api.patch('/api/identity-store/stores/other', { selfService: SELF_SERVICE }), 400, 'VALIDATION_FAILED');
      assert.match(originProblem.body.detail, /https:\/\/login\.keyway\.test/);
      await expectProblem(
        world.api.patch('/api/identity-store/stores/other', { selfService: { ...SELF_SERVICE, sessionTtlSeconds: 10 } }),
        400,
        'VALIDATION_FAILED',
      );

      const disabled = new Browser(world.server.url);
      const answers = [
        await disabled.request('POST', '/acme/identity/other/login/webauthn/options', {}),
        await disabled.request('POST', '/acme/identity/nosuchstore/login/webauthn/options', {}),
        await disabled.request('POST', '/nosuchtenant/identity/customers/login/webauthn/options', {}),
        await disabled.request('GET', '/acme/identity/other/me'),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 404);
        assert.equal(answer.body.code, 'SELF_SERVICE_DISABLED');
      }
      // Switching it off takes effect at once.
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, enabled: false } }), 200);
      await expectProblem(world.browser().post('/login/webauthn/options'), 404, 'SELF_SERVICE_DISABLED');
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, allowSignUp: false } }), 200);
      await expectProblem(world.browser().post('/register/webauthn/begin', { identifier: 'nosignup@example.com' }), 403, 'SIGN_UP_DISABLED');
      await expectStatus(world.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
    });

    test('admin: list a user’s live sessions and revoke one (its cookie then fails)', async () => {
      const browser = world.browser();
      const { user } = await world.signUp(browser, 'admin-sessions@example.com');
      const listed = await expectStatus(world.api.get(`${ADMIN}/users/${user.id}/sessions`), 200);
      assert.equal(listed.body.items.length, 1);
      assert.equal(listed.body.items[0].userId, user.id);
      assert.equal(listed.body.items[0].clientIp, '127.0.0.1');
      await expectStatus(world.api.delete(`${ADMIN}/users/${user.id}/sessions/${listed.body.items[0].id}`), 204);
      await expectProblem(browser.get('/me'), 401, 'SESSION_REQUIRED');
      await expectProblem(world.api.delete(`${ADMIN}/users/${user.id}/sessions/${listed.body.items[0].id}`), 404, 'BROWSER_SESSION_NOT_FOUND');
      assert.deepEqual((await expectStatus(world.api.get(`${ADMIN}/users/${user.id}/sessions`), 200)).body.items, []);
      const audit = await world.db.selectFrom('audit_events').selectAll().where('action', '=', 'selfservice.session.revoke').executeTakeFirstOrThrow();
      assert.equal(audit.target_id, user.id);
      // Without the permission: 403.
      const narrow = await world.server.token(world.acme!.clientId, world.acme!.clientSecret, 'TNT#acme#IdentityStore:getStore');
      await expectProblem(world.api.withToken(narrow).get(`${ADMIN}/users/${user.id}/sessions`), 403, 'FORBIDDEN');
    });

    test('an abandoned sign-up is deleted after a day (audited); admin-made pending accounts stay', async () => {
      await expectStatus(world.browser().post('/register/webauthn/begin', { identifier: 'abandoned@example.com' }), 200);
      const pending = await world.db.selectFrom('users').select('id').where('user_key', '=', 'abandoned@example.com').executeTakeFirstOrThrow();
      world.clock.advance(24 * 60 * 60 * 1000 + 1);
      await world.server.services.retention.sweep();
      assert.equal(await world.db.selectFrom('users').select('id').where('id', '=', pending.id).executeTakeFirst(), undefined);
      assert.ok(await world.db.selectFrom('users').select('id').where('user_key', '=', 'admin-made@example.com').executeTakeFirst());
      // (Other tests' unfinished sign-ups expire with it.)
      const audit = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'selfservice.signUp.expire')
        .where('target_id', '=', pending.id)
        .executeTakeFirst();
      assert.ok(audit, 'the expiry is audited');
      await world.signUp(world.browser(), 'abandoned@example.com');
    });

    test('OpenAPI documents the public and admin routes with their codes and permissions', async () => {
      const doc = (await expectStatus(world.server.http.get('/openapi.json'), 200)).body;
      const finish = doc.paths['/{tenantId}/identity/{storeName}/login/webauthn/finish'].post;
      assert.match(JSON.stringify(finish.responses), /CREDENTIAL_NOT_FOUND/);
      assert.match(JSON.stringify(finish.responses), /CSRF_REJECTED/);
      assert.match(JSON.stringify(finish.responses), /RATE_LIMITED/);
      const links = doc.paths['/api/identity-store/stores/{storeName}/users/{userId}/recovery-links'].post;
      assert.equal(links['x-keyway-permission'], 'TNT#{tenant}#IdentityStore:createRecoveryLink');
      assert.equal(
        doc.paths['/api/identity-store/stores/{storeName}/users/{userId}/sessions'].get['x-keyway-permission'],
        'TNT#{tenant}#IdentityStore:listUserSessions',
      );
      assert.ok(doc.paths[`/{tenantId}/identity/{storeName}/me/passkeys/{credentialId}`].delete);
      void STORE;
    });
  });
}
