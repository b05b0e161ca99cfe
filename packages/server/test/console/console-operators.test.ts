// Console operators end to end over real HTTP on both databases: an enrolment link, a passkey made by the software
// authenticator for Keyway itself, the browser session, its access token, and the admin API called with it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INVITATION_TTL_MS } from '../../src/console/console-invitations.ts';
import { permissionsOfRole } from '../../src/console/operator-roles.ts';
import { ADMIN, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { HttpClient } from '../support/http-client.ts';
import { CONSOLE_API, ORIGIN, consoleApi, enrol, enrolAs, invitationLink, tokenOfLink } from './console-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`console operators on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());
    // The tenant's full-admin API client, with a token issued now (tests move the clock past older ones).
    const fullAdmin = async () => {
      const acme = world.acme!;
      return new HttpClient(world.server.url, await world.server.token(acme.clientId, acme.clientSecret));
    };
    // An API client of the tenant holding exactly `permissions`, made by the full-admin client.
    const clientWith = async (permissions: string[]) => {
      const made = await expectStatus((await fullAdmin()).post('/api/admin/clients', { name: 'narrow', permissions }), 201);
      return new HttpClient(world.server.url, await world.server.token(made.body.clientId, made.body.clientSecret));
    };
    // What operator management may change: the operators and their roles, the invitations, the audit log.
    const persisted = async () => ({
      operators: await world.db.selectFrom('console_operators').select(['id', 'role', 'updated_at']).orderBy('id').execute(),
      invitations: await world.db.selectFrom('console_invitations').select(['id', 'role']).orderBy('id').execute(),
      audit: (await world.db.selectFrom('audit_events').select('id').execute()).length,
    });

    test('enrolment link → passkey → session → access token → admin API call, audited with the operator as actor', async () => {
      const owner = await enrol(world, await invitationLink(world, 'owner'), 'Olive Owner');
      assert.equal(owner.operator.role, 'owner');
      assert.equal(owner.operator.displayName, 'Olive Owner');
      assert.match(owner.operator.id, /^kwo_/);
      // The cookie is HttpOnly, SameSite=Strict, scoped to the tenant's console.
      const { api, session } = await consoleApi(world, owner.browser);
      assert.deepEqual(session.operator, owner.operator);
      assert.deepEqual(session.permissions, ['TNT#acme#*']);
      assert.match(session.accessToken as string, /^kwop_/);
      assert.equal(Date.parse(session.expiresAt as string) - world.clock.now().getTime(), 5 * 60 * 1000);

      const created = await expectStatus(api.post(`${ADMIN}/users`, { userKey: 'made-by-console' }), 201);
      const audit = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'user.create')
        .where('target_id', '=', created.body.id)
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor, owner.operator.id);
      const enrolled = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'console.operator.enrol')
        .where('target_id', '=', owner.operator.id)
        .executeTakeFirstOrThrow();
      assert.equal(enrolled.actor, owner.operator.id);

      const operators = await expectStatus(api.get('/api/console/operators'), 200);
      assert.ok(operators.body.items.some((o: { id: string; passkeys: number }) => o.id === owner.operator.id && o.passkeys === 1));
    });

    test('the session cookie: HttpOnly, SameSite=Strict, path /{tenant}/console, Secure on https', async () => {
      const browser = world.browser();
      const token = tokenOfLink(await invitationLink(world, 'viewer'));
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/enrolment/options`, { token, displayName: 'Vic' }), 200);
      const { SoftAuthenticator } = await import('../support/soft-authenticator.ts');
      const credential = new SoftAuthenticator().register(options.body.publicKey, { origin: ORIGIN });
      const finished = await expectStatus(browser.request('POST', `${CONSOLE_API}/enrolment/finish`, { token, credential }), 201);
      const cookie = finished.setCookies.find((c) => c.name === 'keyway_console');
      assert.ok(cookie);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'strict');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.path, '/acme/console');
      assert.equal(options.body.publicKey.rp.id, 'login.keyway.test');
      assert.equal(options.body.publicKey.authenticatorSelection.residentKey, 'required');
    });

    test('a used link and an expired link are refused, and nothing is created', async () => {
      const link = await invitationLink(world, 'admin');
      await enrol(world, link);
      const again = world.browser();
      await expectProblem(
        again.request('POST', `${CONSOLE_API}/enrolment/options`, { token: tokenOfLink(link), displayName: 'Twice' }),
        410,
        'CONSOLE_LINK_USED',
      );

      const operatorsBefore = await world.db.selectFrom('console_operators').select('id').execute();
      const stale = await invitationLink(world, 'admin');
      world.clock.advance(INVITATION_TTL_MS);
      await expectProblem(
        again.request('POST', `${CONSOLE_API}/enrolment/options`, { token: tokenOfLink(stale), displayName: 'Late' }),
        410,
        'CONSOLE_LINK_EXPIRED',
      );
      await expectProblem(
        again.request('POST', `${CONSOLE_API}/enrolment/options`, { token: 'x'.repeat(43), displayName: 'Forged' }),
        400,
        'CONSOLE_LINK_INVALID',
      );
      assert.equal((await world.db.selectFrom('console_operators').select('id').execute()).length, operatorsBefore.length);
    });

    test('a link used between options and finish enrols exactly one operator', async () => {
      const link = await invitationLink(world, 'support');
      const token = tokenOfLink(link);
      const first = world.browser();
      const second = world.browser();
      const { SoftAuthenticator } = await import('../support/soft-authenticator.ts');
      const a = await expectStatus(first.request('POST', `${CONSOLE_API}/enrolment/options`, { token, displayName: 'A' }), 200);
      const b = await expectStatus(second.request('POST', `${CONSOLE_API}/enrolment/options`, { token, displayName: 'B' }), 200);
      const ca = new SoftAuthenticator().register(a.body.publicKey, { origin: ORIGIN });
      const cb = new SoftAuthenticator().register(b.body.publicKey, { origin: ORIGIN });
      const answers = await Promise.all([
        first.request('POST', `${CONSOLE_API}/enrolment/finish`, { token, credential: ca }),
        second.request('POST', `${CONSOLE_API}/enrolment/finish`, { token, credential: cb }),
      ]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [201, 410]);
    });

    test('sign-in with a discoverable passkey opens a new session; sign-out ends its access tokens', async () => {
      const enrolled = await enrolAs(world, 'admin', 'Sam Signin');
      const browser = world.browser();
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      assert.deepEqual(options.body.publicKey.allowCredentials, []);
      const assertion = enrolled.authenticator.authenticate(options.body.publicKey, { origin: ORIGIN });
      const signedIn = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 200);
      assert.deepEqual(signedIn.body.operator, enrolled.operator);

      const { api } = await consoleApi(world, browser);
      await expectStatus(api.get('/api/console/operators'), 200);
      await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-out`, {}), 204);
      await expectProblem(api.get('/api/console/operators'), 401, 'UNAUTHENTICATED');
      await expectProblem(browser.request('GET', `${CONSOLE_API}/session`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      // The enrolment browser's session is another one and lives on.
      await consoleApi(world, enrolled.browser);
    });

    test('the access token dies after 5 minutes; the session hands out a new one', async () => {
      const enrolled = await enrolAs(world, 'viewer');
      const { api } = await consoleApi(world, enrolled.browser);
      world.clock.advance(5 * 60 * 1000);
      await expectProblem(api.get('/api/console/operators'), 401, 'UNAUTHENTICATED');
      const fresh = await consoleApi(world, enrolled.browser);
      await expectStatus(fresh.api.get('/api/console/operators'), 200);
    });

    test('a viewer reads but gets 403 on a write', async () => {
      const viewer = await enrolAs(world, 'viewer');
      const { api, session } = await consoleApi(world, viewer.browser);
      assert.ok((session.permissions as string[]).includes('TNT#acme#IdentityStore:listUsers'));
      await expectStatus(api.get(`${ADMIN}/users`), 200);
      await expectProblem(api.post(`${ADMIN}/users`, { userKey: 'viewer-made' }), 403, 'FORBIDDEN');
      await expectProblem(api.post('/api/console/invitations', { role: 'viewer' }), 403, 'FORBIDDEN');
    });

    test('support issues recovery links and reads users but cannot edit policies', async () => {
      const user = await expectStatus((await fullAdmin()).post(`${ADMIN}/users`, { userKey: 'needs-help' }), 201);
      const support = await enrolAs(world, 'support');
      const { api } = await consoleApi(world, support.browser);
      await expectStatus(api.get(`${ADMIN}/users/${user.body.id}`), 200);
      await expectStatus(api.post(`${ADMIN}/users/${user.body.id}/recovery-links`, {}), 201);
      await expectProblem(api.patch(`${ADMIN}/passkeys/registrationPolicies/default`, { timeout: 60000 }), 403, 'FORBIDDEN');
      await expectProblem(api.post(`${ADMIN}/users`, { userKey: 'support-made' }), 403, 'FORBIDDEN');
    });

    test('an admin cannot make or remove owners; an owner can; the last owner stays', async () => {
      const admin = await enrolAs(world, 'admin');
      const { api: adminApi } = await consoleApi(world, admin.browser);
      await expectProblem(adminApi.post('/api/console/invitations', { role: 'owner' }), 403, 'OWNER_MANAGEMENT_FORBIDDEN');
      const invited = await expectStatus(adminApi.post('/api/console/invitations', { role: 'support' }), 201);
      tokenOfLink(invited.body.url);
      const support = await enrol(world, invited.body.url);
      await expectProblem(adminApi.patch(`/api/console/operators/${support.operator.id}`, { role: 'owner' }), 403, 'OWNER_MANAGEMENT_FORBIDDEN');
      const viewerNow = await expectStatus(adminApi.patch(`/api/console/operators/${support.operator.id}`, { role: 'viewer' }), 200);
      assert.equal(viewerNow.body.role, 'viewer');
      // The role change takes effect on the operator's live token at once.
      const { api: supportApi } = await consoleApi(world, support.browser);
      await expectStatus(supportApi.get(`${ADMIN}/users`), 200);

      // An admin cannot hand an API client the wildcard it does not hold.
      await expectProblem(adminApi.post('/api/admin/clients', { name: 'escalate', permissions: ['TNT#acme#*'] }), 403, 'PERMISSION_NOT_GRANTABLE');

      const owners = await world.db.selectFrom('console_operators').select('id').where('role', '=', 'owner').execute();
      const owner = owners.length > 0 ? undefined : await enrolAs(world, 'owner');
      const ownerIds = owner ? [owner.operator.id] : owners.map((o) => o.id);
      await expectProblem(adminApi.delete(`/api/console/operators/${ownerIds[0]}`), 403, 'OWNER_MANAGEMENT_FORBIDDEN');
      // The tenant's full-admin client may manage owners, but never remove the last one.
      const full = await fullAdmin();
      for (const id of ownerIds.slice(1)) await expectStatus(full.delete(`/api/console/operators/${id}`), 204);
      await expectProblem(full.delete(`/api/console/operators/${ownerIds[0]}`), 409, 'LAST_OWNER');
      await expectProblem(full.patch(`/api/console/operators/${ownerIds[0]}`, { role: 'admin' }), 409, 'LAST_OWNER');

      // Removing an operator ends their session and tokens at once.
      await expectStatus(adminApi.delete(`/api/console/operators/${support.operator.id}`), 204);
      await expectProblem(supportApi.get(`${ADMIN}/users`), 401, 'UNAUTHENTICATED');
    });

    test('a narrow client cannot invite, promote, demote or remove operators beyond what it holds, and nothing changes', async () => {
      const viewer = await enrolAs(world, 'viewer');
      const admin = await enrolAs(world, 'admin');
      // The audit's sequences: an inviter holding only Console:createInvitation, a client holding only the
      // update and delete permissions.
      const inviter = await clientWith(['TNT#acme#Console:createInvitation']);
      const roler = await clientWith(['TNT#acme#Console:updateOperator', 'TNT#acme#Console:deleteOperator']);
      // This one covers a viewer, not an admin: it may act on the viewer but not hand out admin.
      const viewerManager = await clientWith([...permissionsOfRole('acme', 'viewer'), 'TNT#acme#Console:updateOperator', 'TNT#acme#Console:deleteOperator']);
      const before = await persisted();

      const invite = await expectProblem(inviter.post('/api/console/invitations', { role: 'admin' }), 403, 'PERMISSION_NOT_GRANTABLE');
      assert.equal(invite.body.detail, 'role: admin holds permissions the caller does not hold');
      assert.equal(invite.body.url, undefined);
      await expectProblem(inviter.post('/api/console/invitations', { role: 'viewer' }), 403, 'PERMISSION_NOT_GRANTABLE');
      await expectProblem(inviter.post('/api/console/invitations', { role: 'owner' }), 403, 'OWNER_MANAGEMENT_FORBIDDEN');

      const promote = await expectProblem(roler.patch(`/api/console/operators/${viewer.operator.id}`, { role: 'admin' }), 403, 'OPERATOR_NOT_COVERED');
      assert.equal(promote.body.detail, `Operator ${viewer.operator.id} (viewer) holds permissions the caller does not hold`);
      await expectProblem(roler.patch(`/api/console/operators/${admin.operator.id}`, { role: 'viewer' }), 403, 'OPERATOR_NOT_COVERED');
      await expectProblem(roler.delete(`/api/console/operators/${admin.operator.id}`), 403, 'OPERATOR_NOT_COVERED');

      await expectProblem(viewerManager.patch(`/api/console/operators/${viewer.operator.id}`, { role: 'admin' }), 403, 'PERMISSION_NOT_GRANTABLE');
      await expectProblem(viewerManager.patch(`/api/console/operators/${admin.operator.id}`, { role: 'viewer' }), 403, 'OPERATOR_NOT_COVERED');
      await expectProblem(viewerManager.delete(`/api/console/operators/${admin.operator.id}`), 403, 'OPERATOR_NOT_COVERED');
      assert.deepEqual(await persisted(), before, 'no invitation, role, removal or audit event');
      // The admin's session still works with the admin role.
      const { session } = await consoleApi(world, admin.browser);
      assert.equal((session.operator as { role: string }).role, 'admin');

      // Within what it holds the same client acts: it removes the viewer it covers.
      await expectStatus(viewerManager.delete(`/api/console/operators/${viewer.operator.id}`), 204);
      // Wildcards count as the permissions they stand for: these three cover a support operator's role, not a viewer's.
      const supportInviter = await clientWith(['TNT#acme#IdentityStore:*', 'TNT#acme#Audit:*', 'TNT#acme#Console:*']);
      await expectStatus(supportInviter.post('/api/console/invitations', { role: 'support' }), 201);
      await expectProblem(supportInviter.post('/api/console/invitations', { role: 'viewer' }), 403, 'PERMISSION_NOT_GRANTABLE');
    });

    test('an admin invites admins, support and viewers and manages other admins, but raises nobody, themselves included, to owner', async () => {
      const admin = await enrolAs(world, 'admin');
      const { api: adminApi } = await consoleApi(world, admin.browser);
      for (const role of ['admin', 'support', 'viewer'] as const) {
        const invited = await expectStatus(adminApi.post('/api/console/invitations', { role }), 201);
        if (role === 'admin') assert.equal((await enrol(world, invited.body.url)).operator.role, 'admin');
      }
      const before = await persisted();
      await expectProblem(adminApi.post('/api/console/invitations', { role: 'owner' }), 403, 'OWNER_MANAGEMENT_FORBIDDEN');
      await expectProblem(adminApi.patch(`/api/console/operators/${admin.operator.id}`, { role: 'owner' }), 403, 'OWNER_MANAGEMENT_FORBIDDEN');
      assert.deepEqual(await persisted(), before);

      // An admin covers another admin (the same permissions): demoting and removing them works.
      const other = await enrolAs(world, 'admin');
      const demoted = await expectStatus(adminApi.patch(`/api/console/operators/${other.operator.id}`, { role: 'support' }), 200);
      assert.equal(demoted.body.role, 'support');
      await expectStatus(adminApi.delete(`/api/console/operators/${other.operator.id}`), 204);

      // The tenant's full-admin client invites an admin; the command line invites any role (the fixture's links).
      const link = await expectStatus((await fullAdmin()).post('/api/console/invitations', { role: 'admin' }), 201);
      assert.equal((await enrol(world, link.body.url)).operator.role, 'admin');
    });

    test('an operator raising their own role needs the new role’s permissions too', async () => {
      // No role below admin holds Console:updateOperator, so over HTTP only the owner step shows it (above); the
      // service's rule is the same for any role, shown here with an operator principal that could change roles.
      const viewer = await enrolAs(world, 'viewer');
      const principal = {
        tenantId: 'acme',
        clientId: viewer.operator.id,
        permissions: [...permissionsOfRole('acme', 'viewer'), 'TNT#acme#Console:updateOperator'],
        operator: { id: viewer.operator.id, role: 'viewer', sessionId: 'kws_test' },
      };
      const actor = { tenantId: 'acme', actor: viewer.operator.id };
      const before = await persisted();
      await assert.rejects(world.server.services.operators.updateRole(principal, actor, viewer.operator.id, 'support'), { code: 'PERMISSION_NOT_GRANTABLE' });
      await assert.rejects(world.server.services.operators.updateRole(principal, actor, viewer.operator.id, 'admin'), { code: 'PERMISSION_NOT_GRANTABLE' });
      assert.deepEqual(await persisted(), before);
    });

    test('operators add a second passkey, list them, and cannot delete the last one', async () => {
      const enrolled = await enrolAs(world, 'support');
      const list = await expectStatus(enrolled.browser.request('GET', `${CONSOLE_API}/passkeys`), 200);
      assert.equal(list.body.items.length, 1);
      assert.equal(list.body.items[0].synced, true);
      await expectProblem(enrolled.browser.request('DELETE', `${CONSOLE_API}/passkeys/${list.body.items[0].id}`), 409, 'LAST_OPERATOR_PASSKEY');

      const { SoftAuthenticator } = await import('../support/soft-authenticator.ts');
      const second = new SoftAuthenticator({ attachment: 'cross-platform' });
      const options = await expectStatus(enrolled.browser.request('POST', `${CONSOLE_API}/passkeys/options`, {}), 200);
      assert.equal(options.body.publicKey.excludeCredentials.length, 1);
      const credential = second.register(options.body.publicKey, { origin: ORIGIN });
      const added = await expectStatus(enrolled.browser.request('POST', `${CONSOLE_API}/passkeys/finish`, { credential }), 201);
      assert.equal(added.body.items.length, 2);
      assert.equal(added.body.items[1].synced, false);
      await expectStatus(enrolled.browser.request('DELETE', `${CONSOLE_API}/passkeys/${list.body.items[0].id}`), 204);
      // The remaining passkey signs in.
      const browser = world.browser();
      const signIn = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      await expectStatus(
        browser.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: second.authenticate(signIn.body.publicKey, { origin: ORIGIN }) }),
        200,
      );
    });

    test('another origin cannot use the console API', async () => {
      const foreign = world.browser({ origin: 'https://evil.example' });
      await expectProblem(foreign.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 403, 'CSRF_REJECTED');
      const crossSite = world.browser({ headers: { 'sec-fetch-site': 'cross-site' } });
      await expectProblem(crossSite.request('GET', `${CONSOLE_API}/session`), 403, 'CSRF_REJECTED');
      const enrolled = await enrolAs(world, 'viewer');
      const passkey = await expectStatus(enrolled.browser.request('GET', `${CONSOLE_API}/passkeys`), 200);
      const foreignWithCookie = world.browser({ origin: 'https://evil.example' });
      for (const [name, value] of enrolled.browser.cookies) foreignWithCookie.cookies.set(name, value);
      await expectProblem(foreignWithCookie.request('DELETE', `${CONSOLE_API}/passkeys/${passkey.body.items[0].id}`), 403, 'CSRF_REJECTED');
      // Origin: null (an opaque origin, or a no-referrer page's navigation) counts as the console's only where the
      // browser says the request came from Keyway's own origin.
      const opaque = world.browser({ origin: 'null' });
      for (const [name, value] of enrolled.browser.cookies) opaque.cookies.set(name, value);
      const passkeyPath = `${CONSOLE_API}/passkeys/${passkey.body.items[0].id}`;
      await expectProblem(opaque.request('DELETE', passkeyPath), 403, 'CSRF_REJECTED');
      await expectProblem(opaque.request('DELETE', passkeyPath, undefined, { 'sec-fetch-site': 'cross-site' }), 403, 'CSRF_REJECTED');
    });

    test('a console access token of one tenant is refused on another tenant’s path', async () => {
      const enrolled = await enrolAs(world, 'owner');
      const { api } = await consoleApi(world, enrolled.browser);
      const other = new HttpClient(world.server.url, api.token);
      await expectProblem(other.get('/api/identity-store/globex/stores'), 404, 'TENANT_NOT_FOUND');
    });
  });

  describe(`console ceremonies are rate-limited per address on ${kind}`, () => {
    test('starting ceremonies past the limit is 429 RATE_LIMITED with Retry-After; a minute later it works again', async () => {
      const limited = await SelfServiceWorld.create(kind, { env: { KEYWAY_RATE_LIMIT_PER_IP: '2' } });
      try {
        const browser = limited.browser();
        await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
        await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
        const refused = await expectProblem(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 429, 'RATE_LIMITED');
        assert.ok(Number(refused.headers.get('retry-after')) > 0);
        await expectProblem(browser.request('POST', `${CONSOLE_API}/enrolment/options`, { token: 'x'.repeat(43), displayName: 'X' }), 429, 'RATE_LIMITED');
        limited.clock.advance(60_000);
        await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      } finally {
        await limited.close();
      }
    });
  });
}
