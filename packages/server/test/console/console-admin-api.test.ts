// The admin API additions the console relies on, on both databases: searching users, filtering and exporting the
// audit log, and optimistic concurrency (ETag, If-Match → 409 EDIT_CONFLICT) on the editable resources.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import type { HttpClient } from '../support/http-client.ts';
import { consoleApi, enrolAs } from './console-fixture.ts';

/** A download as text (the test client would parse application/jsonl as one JSON document). */
async function download(api: HttpClient, path: string): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(api.baseUrl + path, { headers: { authorization: `Bearer ${api.token}` } });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

for (const kind of DATABASE_KINDS) {
  describe(`console admin API on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('users: q finds by user key, e-mail, external id, first and last name, case-insensitively, every word', async () => {
      const made = [
        { userKey: 'ada@example.com', externalId: 'ext-ada-1', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
        { userKey: 'grace', externalId: 'HOPPER-77', email: 'admiral@navy.example', firstName: 'Grace', lastName: 'Hopper' },
        { userKey: 'per%cent_user', externalId: 'ext-3' },
      ];
      for (const user of made) await expectStatus(world.api.post(`${ADMIN}/users`, user), 201);
      const keys = async (q: string) =>
        ((await expectStatus(world.api.get(`${ADMIN}/users?q=${encodeURIComponent(q)}`), 200)).body.items as { userKey: string }[])
          .map((u) => u.userKey)
          .sort();
      assert.deepEqual(await keys('LOVE'), ['ada@example.com']);
      assert.deepEqual(await keys('hopper-7'), ['grace']);
      assert.deepEqual(await keys('navy'), ['grace']);
      assert.deepEqual(await keys('ada love'), ['ada@example.com']);
      assert.deepEqual(await keys('ada hopper'), []);
      assert.deepEqual(await keys('grace'), ['grace']);
      // Typed wildcards are matched as themselves.
      assert.deepEqual(await keys('%'), ['per%cent_user']);
      assert.deepEqual(await keys('t_u'), ['per%cent_user']);
    });

    test('audit: filters by actor, action, target and time; exports JSON Lines and CSV', async () => {
      const operator = await enrolAs(world, 'admin', 'Audrey Auditor');
      const { api } = await consoleApi(world, operator.browser);
      const start = world.clock.now().toISOString();
      world.clock.advance(60_000);
      const created = await expectStatus(api.post(`${ADMIN}/users`, { userKey: 'audited', firstName: '=HYPERLINK("x")' }), 201);
      await expectStatus(api.patch(`${ADMIN}/users/${created.body.id}`, { lastName: 'Comma, "Quoted"' }), 200);
      world.clock.advance(60_000);
      const end = world.clock.now().toISOString();

      const page = await expectStatus(api.get(`/api/audit?actor=${operator.operator.id}&target=${created.body.id}`), 200);
      assert.deepEqual(
        page.body.items.map((e: { action: string }) => e.action),
        ['user.create', 'user.update'],
      );
      const onlyUpdate = await expectStatus(api.get(`/api/audit?actor=${operator.operator.id}&action=user.update`), 200);
      assert.equal(onlyUpdate.body.items.length, 1);
      const windowed = await expectStatus(api.get(`/api/audit?from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}&target=${created.body.id}`), 200);
      assert.equal(windowed.body.items.length, 2);
      const before = await expectStatus(api.get(`/api/audit?to=${encodeURIComponent(start)}&target=${created.body.id}`), 200);
      assert.equal(before.body.items.length, 0);
      await expectProblem(api.get('/api/audit?from=yesterday'), 400, 'VALIDATION_FAILED');

      const jsonl = await download(api, `/api/audit?format=jsonl&actor=${operator.operator.id}&target=${created.body.id}`);
      assert.equal(jsonl.status, 200);
      assert.match(jsonl.headers.get('content-type') ?? '', /^application\/jsonl/);
      assert.match(jsonl.headers.get('content-disposition') ?? '', /^attachment; filename="audit-acme\.jsonl"$/);
      const lines = (jsonl.body as string)
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { action: string; actor: string });
      assert.deepEqual(
        lines.map((l) => [l.action, l.actor]),
        [
          ['user.create', operator.operator.id],
          ['user.update', operator.operator.id],
        ],
      );

      const csv = await download(api, `/api/audit?format=csv&target=${created.body.id}`);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
      const rows = (csv.body as string).split('\r\n');
      assert.equal(rows[0], 'id,time,tenant,actor,action,targetType,targetId,outcome,requestId,details');
      assert.equal(rows.length, 4, 'a header, two events and the final line break');
      assert.ok(rows[1]!.includes(`,acme,${operator.operator.id},user.create,user,${created.body.id},success,`));

      // Exporting more than one batch gives every event once, in order.
      const all = await download(api, '/api/audit?format=jsonl');
      const ids = (all.body as string)
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { id: string }).id);
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual([...ids].sort(), ids);
      const count = await world.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('tenant_id', '=', 'acme')
        .executeTakeFirstOrThrow();
      assert.equal(ids.length, Number(count.n));
    });

    test('a CSV field a spreadsheet would run as a formula is neutralised', async () => {
      const created = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'formula' }), 201);
      await expectStatus(world.api.patch(`${ADMIN}/users/${created.body.id}`, { firstName: 'x' }), 200);
      const { toCsv } = await import('../../src/audit/audit-export.ts');
      async function* one() {
        yield {
          id: '1',
          time: 't',
          tenant: 'acme',
          actor: '=cmd',
          action: 'a',
          targetType: 't',
          targetId: null,
          outcome: 'success',
          details: { note: 'a,"b"' },
          requestId: null,
        };
      }
      const out: string[] = [];
      for await (const chunk of toCsv(one())) out.push(chunk);
      assert.equal(out[1], `1,t,acme,'=cmd,a,t,,success,,"{""note"":""a,\\""b\\""""}"\r\n`);
    });

    test('edits: an ETag on read; a write with a stale If-Match is 409 EDIT_CONFLICT and changes nothing; without If-Match as before', async () => {
      const created = await expectStatus(world.api.post(`${ADMIN}/users`, { userKey: 'concurrent', firstName: 'One' }), 201);
      const url = `${ADMIN}/users/${created.body.id}`;
      const first = await expectStatus(world.api.get(url), 200);
      const etag = first.headers.get('etag');
      assert.match(etag ?? '', /^"\d+\.[A-Za-z0-9_-]{12}"$/);

      const edited = await expectStatus(world.api.request('PATCH', url, { firstName: 'Two' }, { 'if-match': etag! }), 200);
      const newEtag = edited.headers.get('etag');
      assert.ok(newEtag && newEtag !== etag);
      assert.equal((await world.api.get(url)).headers.get('etag'), newEtag, 'the write answers the ETag a read now gives');

      const stale = await expectProblem(world.api.request('PATCH', url, { firstName: 'Three' }, { 'if-match': etag! }), 409, 'EDIT_CONFLICT');
      assert.match(stale.body.detail, /changed by someone else/);
      assert.equal((await world.api.get(url)).body.firstName, 'Two');
      await expectProblem(world.api.request('DELETE', url, undefined, { 'if-match': etag! }), 409, 'EDIT_CONFLICT');
      await expectStatus(world.api.patch(url, { firstName: 'Four' }), 200);
      // The write checks If-Match itself (the version column, in its own transaction): a caller that may write but not
      // read is checked all the same, and the refusal names the current version and nothing else.
      const writer = await expectStatus(world.api.post('/api/admin/clients', { name: 'writer', permissions: ['TNT#acme#IdentityStore:updateUser'] }), 201);
      const writerApi = world.api.withToken(await world.server.token(writer.body.clientId, writer.body.clientSecret));
      const refused = await expectProblem(writerApi.request('PATCH', url, { firstName: 'Five' }, { 'if-match': newEtag! }), 409, 'EDIT_CONFLICT');
      assert.match(refused.headers.get('etag') ?? '', /^"\d+\./);
      await expectStatus(writerApi.request('PATCH', url, { firstName: 'Five' }, { 'if-match': refused.headers.get('etag')! }), 200);
      assert.equal((await world.api.get(url)).body.firstName, 'Five');

      // The same on a policy, a relying party, a store (self-service settings) and an API client.
      const edits: [string, Record<string, unknown>][] = [
        [`${ADMIN}/passkeys/registrationPolicies/default`, { timeout: 120000 }],
        [`${ADMIN}/passkeys/authenticationPolicies/default`, { timeout: 120000 }],
        [`${ADMIN}/passkeys/relyingParties/keyway.test`, { name: 'Keyway Test (edited)' }],
        [ADMIN, { displayName: 'Customers (edited)' }],
        [`/api/admin/clients/${world.acme!.clientId}`, { name: 'admin (edited)' }],
      ];
      for (const [path, body] of edits) {
        const read = await expectStatus(world.api.get(path), 200);
        assert.ok(read.headers.get('etag'), path);
        await expectProblem(world.api.request('PATCH', path, body, { 'if-match': '"stale"' }), 409, 'EDIT_CONFLICT');
        await expectStatus(world.api.request('PATCH', path, body, { 'if-match': read.headers.get('etag')! }), 200);
      }
    });

    test('overview: totals, ceremonies per day, refusals by code (recorded where they are decided) and the authenticator mix', async () => {
      const browser = world.browser();
      const { authenticator } = await world.signUp(browser, 'overview-user@example.com');
      await world.signIn(browser, authenticator, 'overview-user@example.com');
      // A sign-in whose clientDataJSON names another origin is refused, and the refusal is in the audit log with its code.
      const options = await expectStatus(browser.post('/login/webauthn/options', { identifier: 'overview-user@example.com' }), 200);
      const wrongOrigin = authenticator.authenticate(options.body.publicKey, { origin: 'https://elsewhere.keyway.test' });
      await expectProblem(browser.post('/login/webauthn/finish', wrongOrigin), 400, 'ORIGIN_MISMATCH');
      const refusal = await world.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'passkey.authenticate')
        .where('outcome', '=', 'failure')
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(refusal.details!), { code: 'ORIGIN_MISMATCH', store: 'customers' });
      assert.equal(refusal.actor, 'self-service');

      const { api } = await consoleApi(world, (await enrolAs(world, 'viewer')).browser);
      const overview = await expectStatus(api.get('/api/console/overview?days=7'), 200);
      assert.equal(overview.body.daily.length, 7);
      assert.equal(overview.body.daily.at(-1).date, world.clock.now().toISOString().slice(0, 10));
      const users = await world.db.selectFrom('users').select('id').where('tenant_id', '=', 'acme').execute();
      assert.equal(overview.body.totals.users, users.length);
      assert.deepEqual(Object.keys(overview.body.authenticators).sort(), ['deviceBound', 'synced', 'top']);
      const today = overview.body.daily.at(-1);
      assert.ok(today.signIns >= 1 && today.registrations >= 1 && today.failures >= 1, JSON.stringify(today));
      assert.ok(overview.body.failuresByCode.some((f: { code: string; count: number }) => f.code === 'ORIGIN_MISMATCH' && f.count >= 1));
      const passkeys = await world.db.selectFrom('credentials').select('id').where('tenant_id', '=', 'acme').execute();
      assert.equal(overview.body.totals.passkeys, passkeys.length);
      assert.equal(overview.body.authenticators.synced + overview.body.authenticators.deviceBound, passkeys.length);
    });
  });
}
