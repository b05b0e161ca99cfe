// Enrolment links after they are made: listed (unused, live, with who made them), revoked by a caller who may grant
// their role, revoked with their maker when an operator is removed or demoted, and refused at use when whoever made
// them may no longer grant the role. On both databases, over real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INVITATION_TTL_MS } from '../../src/console/console-invitations.ts';
import { SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { HttpClient } from '../support/http-client.ts';
import { CONSOLE_API, consoleApi, enrol, enrolAs, invitationLink, tokenOfLink } from './console-fixture.ts';

interface Listed {
  id: string;
  role: string;
  createdBy: { id: string; kind: string; name?: string };
  createdAt: string;
  expiresAt: string;
  usable: boolean;
}

for (const kind of DATABASE_KINDS) {
  describe(`console enrolment links: list, revoke, and their maker's authority on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    const fullAdmin = async () => {
      const acme = world.acme!;
      return new HttpClient(world.server.url, await world.server.token(acme.clientId, acme.clientSecret));
    };
    const clientWith = async (permissions: string[]) => {
      const made = await expectStatus((await fullAdmin()).post('/api/admin/clients', { name: 'narrow', permissions }), 201);
      const api = new HttpClient(world.server.url, await world.server.token(made.body.clientId, made.body.clientSecret));
      return { api, clientId: made.body.clientId as string };
    };
    const listAll = async (api: HttpClient): Promise<Listed[]> => {
      const items: Listed[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: Listed[]; nextCursor: string | null } } = await expectStatus(
          api.get(`/api/console/invitations?limit=200${cursor === null ? '' : `&cursor=${cursor}`}`),
          200,
        );
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      return items;
    };
    // The enrolment options a link answers, from a fresh browser: 200 while usable, else the refusal.
    const tryLink = (url: string) => world.browser().request('POST', `${CONSOLE_API}/enrolment/options`, { token: tokenOfLink(url), displayName: 'Newcomer' });
    const invitations = () => world.db.selectFrom('console_invitations').select(['id', 'consumed_at', 'revoked_at']).orderBy('id').execute();
    const revocations = (id: string) =>
      world.db.selectFrom('audit_events').select(['actor', 'details']).where('action', '=', 'console.invitation.revoke').where('target_id', '=', id).execute();

    test('the list shows unused, live links with role, maker and expiry, in pages; not used, expired or revoked ones, nor the links', async () => {
      const owner = await enrolAs(world, 'owner', 'Olive Owner');
      const { api } = await consoleApi(world, owner.browser);
      const byOwner = await expectStatus(api.post('/api/console/invitations', { role: 'admin' }), 201);
      assert.match(byOwner.body.id, /^[A-Za-z0-9_-]+$/);
      const byClient = await expectStatus((await fullAdmin()).post('/api/console/invitations', { role: 'viewer' }), 201);
      const byCommandLine = await invitationLink(world, 'support');
      const used = await expectStatus(api.post('/api/console/invitations', { role: 'viewer' }), 201);
      await enrol(world, used.body.url, 'Used Up');

      const listed = await listAll(api);
      const mine = listed.find((i) => i.id === byOwner.body.id);
      assert.deepEqual(mine, {
        id: byOwner.body.id,
        role: 'admin',
        createdBy: { id: owner.operator.id, kind: 'operator', name: 'Olive Owner' },
        createdAt: world.clock.now().toISOString(),
        expiresAt: byOwner.body.expiresAt,
        usable: true,
      });
      assert.deepEqual(listed.find((i) => i.id === byClient.body.id)?.createdBy, { id: world.acme!.clientId, kind: 'apiClient', name: 'admin' });
      assert.ok(listed.some((i) => i.createdBy.kind === 'commandLine' && i.createdBy.id === 'cli' && i.role === 'support'));
      assert.ok(!listed.some((i) => i.id === used.body.id), 'a used link is not listed');
      assert.ok(!JSON.stringify(listed).includes(tokenOfLink(byOwner.body.url)), 'the list never shows a link’s token');
      assert.ok(byCommandLine);

      // Keyset pages: two at a time, in order, each link once.
      const pages: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: Listed[]; nextCursor: string | null } } = await expectStatus(
          api.get(`/api/console/invitations?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`),
          200,
        );
        assert.ok(page.body.items.length <= 2);
        pages.push(...page.body.items.map((i) => i.id));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(
        pages,
        listed.map((i) => i.id),
      );
      await expectProblem(api.get('/api/console/invitations?cursor=bm90LWEtY3Vyc29y'), 400, 'INVALID_CURSOR');

      // A day later every one of them has expired; revoking one is then not found either.
      world.clock.advance(INVITATION_TTL_MS);
      const later = await fullAdmin();
      assert.deepEqual(await listAll(later), []);
      await expectProblem(later.delete(`/api/console/invitations/${byOwner.body.id}`), 404, 'CONSOLE_INVITATION_NOT_FOUND');
    });

    test('revoking: the link enrols nobody after (410 CONSOLE_LINK_REVOKED), leaves the list, is audited, and happens once', async () => {
      const admin = await enrolAs(world, 'admin', 'Ada Admin');
      const { api } = await consoleApi(world, admin.browser);
      const link = await expectStatus(api.post('/api/console/invitations', { role: 'support' }), 201);
      await expectStatus(api.delete(`/api/console/invitations/${link.body.id}`), 204);
      const refused = await expectProblem(tryLink(link.body.url), 410, 'CONSOLE_LINK_REVOKED');
      assert.equal(refused.body.detail, 'The enrolment link was revoked; ask for a new one');
      assert.ok(!(await listAll(api)).some((i) => i.id === link.body.id));
      const audited = await revocations(link.body.id);
      assert.equal(audited.length, 1);
      assert.equal(audited[0]!.actor, admin.operator.id);
      assert.deepEqual(JSON.parse(String(audited[0]!.details)), { role: 'support', reason: 'revoked' });
      await expectProblem(api.delete(`/api/console/invitations/${link.body.id}`), 404, 'CONSOLE_INVITATION_NOT_FOUND');
      await expectProblem(api.delete('/api/console/invitations/no-such-link'), 404, 'CONSOLE_INVITATION_NOT_FOUND');
      // A used link is not revocable.
      const used = await expectStatus(api.post('/api/console/invitations', { role: 'viewer' }), 201);
      await enrol(world, used.body.url);
      await expectProblem(api.delete(`/api/console/invitations/${used.body.id}`), 404, 'CONSOLE_INVITATION_NOT_FOUND');
    });

    test('a link revoked between enrolment options and finish enrols nobody', async () => {
      const link = await expectStatus((await fullAdmin()).post('/api/console/invitations', { role: 'admin' }), 201);
      const browser = world.browser();
      const token = tokenOfLink(link.body.url);
      const options = await expectStatus(browser.request('POST', `${CONSOLE_API}/enrolment/options`, { token, displayName: 'Late' }), 200);
      await expectStatus((await fullAdmin()).delete(`/api/console/invitations/${link.body.id}`), 204);
      const { SoftAuthenticator } = await import('../support/soft-authenticator.ts');
      const credential = new SoftAuthenticator().register(options.body.publicKey, { origin: 'https://login.keyway.test' });
      const operators = await world.db.selectFrom('console_operators').select('id').execute();
      await expectProblem(browser.request('POST', `${CONSOLE_API}/enrolment/finish`, { token, credential }), 410, 'CONSOLE_LINK_REVOKED');
      assert.equal((await world.db.selectFrom('console_operators').select('id').execute()).length, operators.length);
    });

    test('who may list and revoke: permissions from the catalogue, and only links of a role the caller may grant', async () => {
      const admin = await enrolAs(world, 'admin');
      const viewer = await enrolAs(world, 'viewer');
      const support = await enrolAs(world, 'support');
      const { api: adminApi } = await consoleApi(world, admin.browser);
      const { api: viewerApi } = await consoleApi(world, viewer.browser);
      const { api: supportApi } = await consoleApi(world, support.browser);
      const ownerLink = await invitationLink(world, 'owner');
      const ownerLinkId = (await listAll(adminApi)).find((i) => i.role === 'owner' && i.createdBy.kind === 'commandLine')!.id;
      const adminLink = await expectStatus(adminApi.post('/api/console/invitations', { role: 'admin' }), 201);
      const before = await invitations();

      // A viewer reads the list (every list… permission) but revokes nothing; support does neither.
      await expectStatus(viewerApi.get('/api/console/invitations'), 200);
      await expectProblem(viewerApi.delete(`/api/console/invitations/${adminLink.body.id}`), 403, 'FORBIDDEN');
      await expectProblem(supportApi.get('/api/console/invitations'), 403, 'FORBIDDEN');
      // An admin cannot revoke an owner's link, as they cannot make one.
      await expectProblem(adminApi.delete(`/api/console/invitations/${ownerLinkId}`), 403, 'OWNER_MANAGEMENT_FORBIDDEN');
      // A client holding Console:revokeInvitation and a viewer's reading cannot revoke an admin's link.
      const { api: narrow } = await clientWith(['TNT#acme#Console:revokeInvitation', 'TNT#acme#Console:listInvitations']);
      await expectProblem(narrow.delete(`/api/console/invitations/${adminLink.body.id}`), 403, 'PERMISSION_NOT_GRANTABLE');
      assert.deepEqual(await invitations(), before);
      await expectStatus(tryLink(ownerLink), 200);
      await expectStatus(tryLink(adminLink.body.url), 200);

      // The permissions are the catalogue's, in the roles as described.
      const permissionsOf = async (browser: typeof admin.browser) => (await consoleApi(world, browser)).session.permissions as string[];
      assert.ok((await permissionsOf(admin.browser)).includes('TNT#acme#Console:revokeInvitation'));
      assert.ok((await permissionsOf(admin.browser)).includes('TNT#acme#Console:listInvitations'));
      assert.ok((await permissionsOf(viewer.browser)).includes('TNT#acme#Console:listInvitations'));
      assert.ok(!(await permissionsOf(viewer.browser)).includes('TNT#acme#Console:revokeInvitation'));
      assert.ok(!(await permissionsOf(support.browser)).some((p) => p.includes('Invitation')));
    });

    test('another tenant’s links are neither listed nor revocable', async () => {
      const globex = await world.server.tenant('globex');
      const theirs = await expectStatus(globex.api.post('/api/console/invitations', { role: 'admin' }), 201);
      const ours = await fullAdmin();
      assert.ok(!(await listAll(ours)).some((i) => i.id === theirs.body.id));
      await expectProblem(ours.delete(`/api/console/invitations/${theirs.body.id}`), 404, 'CONSOLE_INVITATION_NOT_FOUND');
      assert.deepEqual(
        (await listAll(globex.api)).map((i) => i.id),
        [theirs.body.id],
      );
      // Nor does a link of one tenant open the other's console.
      await expectProblem(tryLink(theirs.body.url.replace('/globex/', '/acme/')), 400, 'CONSOLE_LINK_INVALID');
    });

    test('removing an operator revokes the unused links they made, in the same transaction (the audit’s leftover link)', async () => {
      const owner = await enrolAs(world, 'owner', 'Remaining Owner');
      const rogue = await enrolAs(world, 'admin', 'Rogue Admin');
      const { api: rogueApi } = await consoleApi(world, rogue.browser);
      const left = await expectStatus(rogueApi.post('/api/console/invitations', { role: 'admin' }), 201);
      const usedBefore = await expectStatus(rogueApi.post('/api/console/invitations', { role: 'viewer' }), 201);
      await enrol(world, usedBefore.body.url);
      const { api: ownerApi } = await consoleApi(world, owner.browser);
      await expectStatus(ownerApi.delete(`/api/console/operators/${rogue.operator.id}`), 204);

      await expectProblem(tryLink(left.body.url), 410, 'CONSOLE_LINK_REVOKED');
      assert.ok(!(await listAll(ownerApi)).some((i) => i.createdBy.id === rogue.operator.id));
      const audited = await revocations(left.body.id);
      assert.equal(audited.length, 1);
      assert.equal(audited[0]!.actor, owner.operator.id);
      assert.deepEqual(JSON.parse(String(audited[0]!.details)), { role: 'admin', reason: 'creatorRemoved' });
      // The used link stays as it was (used, not revoked).
      const row = await world.db
        .selectFrom('console_invitations')
        .select(['consumed_at', 'revoked_at'])
        .where('id', '=', usedBefore.body.id)
        .executeTakeFirstOrThrow();
      assert.notEqual(row.consumed_at, null);
      assert.equal(row.revoked_at, null);
    });

    test('demoting an operator revokes every unused link they made; promoting keeps them', async () => {
      const owner = await enrolAs(world, 'owner');
      const { api: ownerApi } = await consoleApi(world, owner.browser);
      const maker = await enrolAs(world, 'admin', 'Demoted Admin');
      const { api: makerApi } = await consoleApi(world, maker.browser);
      const adminLink = await expectStatus(makerApi.post('/api/console/invitations', { role: 'admin' }), 201);
      const viewerLink = await expectStatus(makerApi.post('/api/console/invitations', { role: 'viewer' }), 201);
      await expectStatus(ownerApi.patch(`/api/console/operators/${maker.operator.id}`, { role: 'viewer' }), 200);
      await expectProblem(tryLink(adminLink.body.url), 410, 'CONSOLE_LINK_REVOKED');
      await expectProblem(tryLink(viewerLink.body.url), 410, 'CONSOLE_LINK_REVOKED');
      assert.deepEqual(JSON.parse(String((await revocations(viewerLink.body.id))[0]!.details)), { role: 'viewer', reason: 'creatorRoleChanged' });
      // Promoted back, the revoked links stay revoked; a link made by an operator who is then promoted keeps working.
      await expectStatus(ownerApi.patch(`/api/console/operators/${maker.operator.id}`, { role: 'admin' }), 200);
      await expectProblem(tryLink(adminLink.body.url), 410, 'CONSOLE_LINK_REVOKED');
      const fresh = await consoleApi(world, maker.browser);
      const kept = await expectStatus(fresh.api.post('/api/console/invitations', { role: 'viewer' }), 201);
      await expectStatus(ownerApi.patch(`/api/console/operators/${maker.operator.id}`, { role: 'owner' }), 200);
      await expectStatus(tryLink(kept.body.url), 200);
    });

    test('at use, the link’s maker must still be able to grant its role: a narrowed, disabled or deleted API client’s links enrol nobody', async () => {
      const admin = await fullAdmin();
      // A client that may invite viewers: it holds what a viewer holds.
      const viewerPermissions = (await consoleApi(world, (await enrolAs(world, 'viewer')).browser)).session.permissions as string[];
      const made = await expectStatus(
        admin.post('/api/admin/clients', { name: 'inviter', permissions: [...viewerPermissions, 'TNT#acme#Console:createInvitation'] }),
        201,
      );
      const inviter = new HttpClient(world.server.url, await world.server.token(made.body.clientId, made.body.clientSecret));
      const link = await expectStatus(inviter.post('/api/console/invitations', { role: 'viewer' }), 201);
      await expectStatus(tryLink(link.body.url), 200);

      // Narrowed below a viewer: the link is dormant (listed as not usable) and refused.
      await expectStatus(admin.request('PATCH', `/api/admin/clients/${made.body.clientId}`, { permissions: ['TNT#acme#Console:createInvitation'] }), 200);
      const refused = await expectProblem(tryLink(link.body.url), 410, 'CONSOLE_LINK_REVOKED');
      assert.equal(refused.body.detail, 'Whoever made the enrolment link may no longer grant its role; ask for a new one');
      assert.equal((await listAll(admin)).find((i) => i.id === link.body.id)?.usable, false);
      // Disabled: refused too.
      await expectStatus(admin.request('PATCH', `/api/admin/clients/${made.body.clientId}`, { permissions: viewerPermissions, enabled: false }), 200);
      await expectProblem(tryLink(link.body.url), 410, 'CONSOLE_LINK_REVOKED');
      // Deleted: refused, and the list still says who made it.
      await expectStatus(admin.delete(`/api/admin/clients/${made.body.clientId}`), 204);
      await expectProblem(tryLink(link.body.url), 410, 'CONSOLE_LINK_REVOKED');
      assert.deepEqual((await listAll(admin)).find((i) => i.id === link.body.id)?.createdBy, { id: made.body.clientId, kind: 'apiClient' });
      assert.equal((await invitations()).find((i) => i.id === link.body.id)?.consumed_at, null);
    });
  });
}
