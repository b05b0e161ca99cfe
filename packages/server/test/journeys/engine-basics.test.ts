import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import {
  definition,
  endReject,
  endSuccess,
  instanceRows,
  ORIGIN,
  probeCalls,
  publish,
  setUpTenant,
  startPublic,
  STORE,
  submit,
  probeStep,
} from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`journey engine on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let userId: string;

    before(async () => {
      server = await startTestServer({ kind, stepTypes: [probeStep] });
      ({ admin, userId } = await setUpTenant(server));
    });
    after(() => server.close());

    test('runs server-side steps to the first client-facing step, then through a submit to success with an ID token', async () => {
      await publish(
        admin,
        'flow',
        definition(
          [
            {
              id: 'init',
              type: 'general.setVariables',
              parameters: { variables: { greeting: 'Hello ${_journey.id}', count: '${1 + 2}' } },
              outcomes: { success: 'ask' },
            },
            { id: 'ask', type: 'test.prompt', parameters: { message: '${greeting} (${count})' }, outcomes: { next: 'check', other: 'rejected' } },
            {
              id: 'check',
              type: 'general.condition',
              parameters: { condition: '${user.externalId == "ext-alice" && count == 3}' },
              outcomes: { true: 'done', false: 'rejected' },
            },
            endSuccess(),
            endReject(),
          ],
          { variables: { greeting: { type: 'string' }, count: { type: 'integer', default: 0 } } },
        ),
      );

      const started = await startPublic(server, 'flow');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'ask');
      assert.equal(started.body.stepType, 'test.prompt');
      assert.deepEqual(started.body.clientResponseOptions, ['client_input', 'cancel']);
      assert.deepEqual(started.body.data, { message: 'Hello flow (3)', user: null, origin: ORIGIN, locale: 'en' });
      assert.match(started.body.sessionId, /^[A-Za-z0-9_-]{43}$/);

      const [row] = await instanceRows(server);
      assert.equal(row!.status, 'waiting');
      assert.equal(row!.current_step, 'ask');
      assert.notEqual(row!.session_hash, started.body.sessionId, 'only a hash of the session id is stored');
      assert.deepEqual(JSON.parse(row!.vars).count, 3);

      const done = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId, authenticated: true } });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.journeyStepId, 'success');
      assert.equal(done.body.data.user.id, userId);
      assert.equal(done.body.data.user.storeName, STORE);
      const claims = decodeJwt(done.body.data.idToken);
      assert.equal(claims.sub, userId);
      assert.equal(claims.iss, `${server.config.publicUrl}/acme`);
      assert.equal(claims.aud, ORIGIN);
      assert.equal(claims.external_id, 'ext-alice');
      const finished = (await instanceRows(server)).at(-1)!;
      assert.equal(finished.status, 'succeeded');
      assert.equal(finished.session_hash, null);

      const [event] = await server.database.db.selectFrom('audit_events').selectAll().where('action', '=', 'journey.success').execute();
      assert.equal(event!.target_id, 'flow');
      assert.equal(event!.actor, 'journey:public');
      // How the user was authenticated (RFC 8176), as in the token.
      assert.deepEqual(JSON.parse(event!.details!), { instanceId: finished.id, version: 1, userId, amr: claims.amr });

      // The used session is spent: submitting it again is a double submit.
      const again = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: {} });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'JOURNEY_STEP_ALREADY_SUBMITTED');
    });

    test('rejection: the end step’s code; a success without a user is rejected with JOURNEY_NO_USER', async () => {
      await publish(
        admin,
        'reject',
        definition([
          { id: 'ask', type: 'test.prompt', outcomes: { next: 'done', other: 'rejected' } },
          endSuccess(),
          endReject('rejected', 'USER_CANCELLED_JOURNEY'),
        ]),
      );
      const first = await startPublic(server, 'reject');
      const cancelled = await submit(server, first.body.sessionId, { clientResponseOptionId: 'cancel' });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.journeyStepId, 'rejection');
      assert.equal(cancelled.body.data.code, 'USER_CANCELLED_JOURNEY');

      const second = await startPublic(server, 'reject');
      const noUser = await submit(server, second.body.sessionId, { clientResponseOptionId: 'client_input', data: {} });
      assert.equal(noUser.body.journeyStepId, 'rejection');
      assert.equal(noUser.body.data.code, 'JOURNEY_NO_USER');
      const row = (await instanceRows(server)).at(-1)!;
      assert.equal(row.status, 'rejected');
      assert.equal(row.result_code, 'JOURNEY_NO_USER');
    });

    test('bad client input is refused with its code and the step keeps waiting for a corrected submit', async () => {
      await publish(admin, 'retry', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const started = await startPublic(server, 'retry');
      const before = probeCalls.submits;
      const bad = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { bad: true } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'VALIDATION_FAILED');
      assert.equal((await instanceRows(server)).at(-1)!.status, 'waiting');
      const notOffered = await submit(server, started.body.sessionId, { clientResponseOptionId: 'fail' });
      assert.equal(notOffered.status, 400);
      assert.equal(notOffered.body.code, 'JOURNEY_OPTION_NOT_OFFERED');
      const fixed = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(fixed.body.journeyStepId, 'success');
      assert.equal(probeCalls.submits - before, 2, 'the refused option never reached the step');
    });

    test('only the identity store’s steps write _identityStore: another step writing there fails, nothing of it kept', async () => {
      // A record there poses as a passkey ceremony the journey started, which the custom page bridge runs.
      await publish(admin, 'posing', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const started = await startPublic(server, 'posing');
      const forged = {
        passkeys: { authentications: { x: { currentPasskeyAuthenticationRecord: { startPasskeyAuthenticationResponse: { clientRequest: {} } } } } },
      };
      const answer = await submit(server, started.body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { set: { _identityStore: forged }, user: userId },
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.journeyStepId, 'rejection', JSON.stringify(answer.body));
      assert.equal(answer.body.data.code, 'JOURNEY_STEP_FAILED');
      const stored = (await instanceRows(server)).at(-1)!;
      assert.equal(stored.status, 'rejected');
      assert.equal((JSON.parse(String(stored.vars)) as Record<string, unknown>)._identityStore, undefined);
    });

    test('a step presenting again rotates the session: the previous one is stale (409), the new one continues', async () => {
      await publish(admin, 'again', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const started = await startPublic(server, 'again');
      const shown = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { again: true } });
      assert.equal(shown.body.journeyStepId, 'ask');
      assert.deepEqual(shown.body.data, { message: null, again: true });
      assert.notEqual(shown.body.sessionId, started.body.sessionId);
      const stale = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: {} });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.code, 'JOURNEY_STEP_ALREADY_SUBMITTED');
      const current = await server.http.get(`/acme/journeys/sessions/${shown.body.sessionId}`, { origin: ORIGIN });
      assert.equal(current.status, 200);
      assert.equal(current.body.journeyStepId, 'ask');
      const wrongStep = await submit(server, shown.body.sessionId, { clientResponseOptionId: 'client_input', journeyStepId: 'elsewhere' });
      assert.equal(wrongStep.status, 409);
      const otherTenant = await submit(server, shown.body.sessionId, { clientResponseOptionId: 'client_input' }, ORIGIN, 'globex');
      assert.equal(otherTenant.status, 404, 'a session is found only under its own tenant');
      const unknown = await submit(server, 'x'.repeat(43), { clientResponseOptionId: 'client_input' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'JOURNEY_SESSION_NOT_FOUND');
    });

    test('CORS: the store’s relying-party origins may read answers (start, submit, errors); a refused origin may not', async () => {
      await publish(admin, 'cors', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const preflight = await fetch(`${server.url}/acme/journeys/cors/start`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);

      const started = await startPublic(server, 'cors');
      assert.equal(started.status, 200);
      assert.equal(started.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(started.headers.get('access-control-allow-credentials'), null, 'no cookies are involved');
      const wrong = await submit(server, started.body.sessionId, { clientResponseOptionId: 'no-such-option', data: null });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.headers.get('access-control-allow-origin'), ORIGIN, 'the page can read the problem code');

      const evil = await startPublic(server, 'cors', {}, 'https://evil.example.net');
      assert.equal(evil.status, 403);
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
      const evilSubmit = await server.http.post(
        `/acme/journeys/sessions/${started.body.sessionId}/submit`,
        { clientResponseOptionId: 'client_input', data: {} },
        { origin: 'https://evil.example.net' },
      );
      assert.equal(evilSubmit.status, 403);
      assert.equal(evilSubmit.body.code, 'JOURNEY_ORIGIN_NOT_ALLOWED');
      assert.equal(evilSubmit.headers.get('access-control-allow-origin'), null);
      const row = (await instanceRows(server)).at(-1)!; // ids are time-ordered; the refused start stored none
      assert.equal(row.status, 'waiting', 'the refused submit changed nothing');
      assert.equal(row.current_step, 'ask');
    });

    test('who may start: public needs an allowed Origin; API clients need Journeys:start and may name the user', async () => {
      await publish(
        admin,
        'private',
        definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()], { access: { public: false } }),
      );
      await publish(admin, 'open', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));

      const noOrigin = await server.http.post('/acme/journeys/open/start', {});
      assert.equal(noOrigin.status, 403);
      assert.equal(noOrigin.body.code, 'JOURNEY_ORIGIN_NOT_ALLOWED');
      const evil = await startPublic(server, 'open', {}, 'https://evil.example.net');
      assert.equal(evil.status, 403);
      assert.equal(evil.body.code, 'JOURNEY_ORIGIN_NOT_ALLOWED');
      const notPublic = await startPublic(server, 'private');
      assert.equal(notPublic.status, 401);
      assert.equal(notPublic.body.code, 'UNAUTHENTICATED');
      const namedByBrowser = await startPublic(server, 'open', { user: { userId } });
      assert.equal(namedByBrowser.status, 400);
      const missing = await startPublic(server, 'nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'JOURNEY_NOT_FOUND');

      const viewer = await admin.api.post('/api/admin/clients', { name: 'viewer', permissions: ['TNT#acme#Journeys:list'] });
      assert.equal(viewer.status, 201, JSON.stringify(viewer.body));
      const viewerToken = await server.token(viewer.body.clientId, viewer.body.clientSecret);
      const forbidden = await server.http.withToken(viewerToken).post('/acme/journeys/private/start', {});
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.code, 'FORBIDDEN');
      const otherTenant = await admin.api.post('/other/journeys/private/start', {});
      assert.equal(otherTenant.status, 404);
      assert.equal(otherTenant.body.code, 'TENANT_NOT_FOUND');

      const forUser = await admin.api.post('/acme/journeys/private/start', { user: { externalId: 'ext-alice' } });
      assert.equal(forUser.status, 200, JSON.stringify(forUser.body));
      assert.deepEqual(forUser.body.data.user, { storeName: STORE, userId });
      // Continued server to server (no Origin) because an API client started it.
      const done = await server.http.post(`/acme/journeys/sessions/${forUser.body.sessionId}/submit`, {
        clientResponseOptionId: 'client_input',
        data: { user: userId, authenticated: true },
      });
      assert.equal(done.body.journeyStepId, 'success');
      assert.equal(decodeJwt(done.body.data.idToken).aud, admin.clientId);
      await publish(
        admin,
        'browser-only',
        definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()], { access: { public: true, apiClients: false } }),
      );
      const notForApi = await admin.api.post('/acme/journeys/browser-only/start', {});
      assert.equal(notForApi.status, 403);
      assert.equal(notForApi.body.code, 'JOURNEY_NOT_STARTABLE');
      assert.equal((await admin.api.post('/api/journeys', { journeyId: 'unpublished' })).status, 201);
      const unpublished = await admin.api.post('/acme/journeys/unpublished/start', {});
      assert.equal(unpublished.status, 409);
      assert.equal(unpublished.body.code, 'JOURNEY_NOT_PUBLISHED');
      assert.equal((await startPublic(server, 'unpublished')).status, 404, 'a browser is not told it exists');
      const unknownUser = await admin.api.post('/acme/journeys/private/start', { user: { userId: 'nobody' } });
      assert.equal(unknownUser.status, 404);
      assert.equal(unknownUser.body.code, 'USER_NOT_FOUND');
    });

    test('the auditor’s loop of slow expressions ends with JOURNEY_EXPRESSION_BUDGET_EXCEEDED within its first loops, not after 100 steps', async () => {
      const hundred = `[${Array.from({ length: 100 }, (_, i) => i).join(', ')}]`;
      // A million iterations: tens of milliseconds of work, under any per-expression bound; eight of them a step.
      const slow = `\${${hundred}.exists(a, ${hundred}.exists(b, ${hundred}.exists(c, false)))}`;
      const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`v${i}`, slow]));
      await publish(
        admin,
        'slow-loop',
        definition(
          [
            { id: 'a', type: 'general.setVariables', parameters: { variables: { ...eight, n: '${n + 1}' } }, outcomes: { success: 'c' } },
            { id: 'c', type: 'general.condition', parameters: { condition: '${true}' }, outcomes: { true: 'a', false: 'done' } },
            endSuccess(),
          ],
          { variables: { n: { type: 'integer', default: 0 }, ...Object.fromEntries(Object.keys(eight).map((name) => [name, { type: 'boolean' }])) } },
        ),
      );
      const started = await startPublic(server, 'slow-loop');
      assert.equal(started.status, 200);
      assert.equal(started.body.journeyStepId, 'rejection');
      assert.equal(started.body.data.code, 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED', JSON.stringify(started.body.data).slice(0, 300));
      assert.equal(started.body.data.stepId, 'a');
      const row = (await instanceRows(server)).at(-1)!;
      assert.equal(row.status, 'rejected');
      assert.equal(row.result_code, 'JOURNEY_EXPRESSION_BUDGET_EXCEEDED');
      const stored = JSON.parse(row.vars) as Record<string, unknown>;
      // The step limit lets 50 loops run; the budget (each step's eight evaluations charged to it) ends far sooner.
      assert.ok(Number(stored.n) < 50, `${String(stored.n)} loops ran`);
      // Nothing half-applied: the step that ran out set none of its variables, the loops before it all of theirs.
      for (const name of Object.keys(eight)) assert.equal(stored[name], Number(stored.n) > 0 ? false : undefined, name);
    });

    test('the starter’s variables must be of their declared type: 400 VALIDATION_FAILED naming each, and no instance', async () => {
      await publish(
        admin,
        'typed',
        definition([{ id: 'ask', type: 'test.prompt', parameters: { message: '${plan}' }, outcomes: { next: 'done' } }, endSuccess()], {
          access: { public: false, apiClients: true },
          variables: {
            plan: { type: 'string', input: true, default: 'basic' },
            count: { type: 'integer', input: true },
            settings: { type: 'object', input: true },
            anything: { input: true },
          },
        }),
      );
      const start = (variables: Record<string, unknown>) => admin.api.post(`/acme/journeys/typed/start`, { variables });
      const before = (await instanceRows(server)).length;
      for (const [variables, fields] of [
        [{ plan: { nested: ['x'] } }, ['/variables/plan']],
        [{ plan: 12345 }, ['/variables/plan']],
        [{ plan: ['a', 'b'] }, ['/variables/plan']],
        [{ plan: null }, ['/variables/plan']],
        [{ count: 1.5 }, ['/variables/count']],
        [{ count: '3' }, ['/variables/count']],
        [{ settings: [] }, ['/variables/settings']],
        [{ plan: 'pro', count: true, settings: 'x', other: 1 }, ['/variables/count', '/variables/settings', '/variables/other']],
      ] as const) {
        const refused = await start(variables);
        assert.equal(refused.status, 400, JSON.stringify(variables));
        assert.equal(refused.body.code, 'VALIDATION_FAILED');
        assert.deepEqual(
          (refused.body.errors as { field: string }[]).map((error) => error.field),
          fields,
          JSON.stringify(variables),
        );
      }
      assert.match((await start({ count: '3' })).body.detail, /variables\.count: must be of type integer/);
      assert.equal((await instanceRows(server)).length, before, 'nothing was created');
      const started = await start({ plan: 'pro', count: 3, settings: { a: 1 }, anything: [null, { b: 'c' }] });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.data.message, 'pro');
    });
  });

  describe(`public journey starts are rate limited per address on ${kind}`, () => {
    let limited: TestServer;
    before(async () => {
      // A stopped clock: the limit counts in fixed one-minute windows, and on a running one the three starts could
      // straddle two of them.
      limited = await startTestServer({ kind, stepTypes: [probeStep], env: { KEYWAY_RATE_LIMIT_PER_IP: '2' }, clock: new ManualClock(new Date()) });
      const { admin: owner } = await setUpTenant(limited);
      await publish(owner, 'open', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
    });
    after(() => limited.close());

    test('over the limit a start is 429 RATE_LIMITED with Retry-After, and no instance is stored', async () => {
      assert.equal((await startPublic(limited, 'open')).status, 200);
      assert.equal((await startPublic(limited, 'open')).status, 200);
      const third = await startPublic(limited, 'open');
      assert.equal(third.status, 429);
      assert.equal(third.body.code, 'RATE_LIMITED');
      assert.ok(Number(third.headers.get('retry-after')) >= 1);
      assert.equal((await instanceRows(limited)).length, 2);
    });
  });
}
