// Console passkey ceremonies are bound to the browser that began them (the keyway_console_ceremony cookie): an
// assertion or attestation for a challenge one browser asked for finishes nothing in another, whichever browser
// produced it, and nothing changes. On both databases, over real HTTP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CEREMONY_TIMEOUT_MS } from '../../src/console/operator-webauthn.ts';
import { type Browser, SelfServiceWorld, expectProblem, expectStatus } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { CONSOLE_API, ORIGIN, enrolAs, invitationLink, tokenOfLink } from './console-fixture.ts';

const CEREMONY_COOKIE = 'keyway_console_ceremony';

for (const kind of DATABASE_KINDS) {
  describe(`console ceremonies are bound to their browser on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    // Everything a finish could change: sessions, operators, passkeys and their counters, invitations, ceremonies, audit.
    const persisted = async () => ({
      sessions: await world.db.selectFrom('console_sessions').select(['id', 'operator_id']).orderBy('id').execute(),
      operators: await world.db.selectFrom('console_operators').select(['id', 'role']).orderBy('id').execute(),
      credentials: await world.db.selectFrom('console_operator_credentials').select(['id', 'sign_count', 'last_used_at']).orderBy('id').execute(),
      invitations: await world.db.selectFrom('console_invitations').select(['id', 'consumed_at']).orderBy('id').execute(),
      ceremonies: await world.db.selectFrom('console_ceremonies').select(['id']).orderBy('id').execute(),
      audit: (await world.db.selectFrom('audit_events').select('id').execute()).length,
    });
    // A browser holding another browser's cookie of `name` (e.g. the same console session), nothing else.
    const withCookieOf = (from: Browser, name: string): Browser => {
      const browser = world.browser();
      browser.cookies.set(name, from.cookies.get(name)!);
      return browser;
    };

    test('the options routes set an HttpOnly, SameSite=Strict, Secure cookie for the tenant’s console, reused while it lives', async () => {
      const browser = world.browser();
      const first = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      const cookie = first.setCookies.find((c) => c.name === CEREMONY_COOKIE);
      assert.ok(cookie, 'the ceremony cookie is set');
      assert.match(cookie.value ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'strict');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.path, '/acme/console');
      assert.equal(cookie.maxAge, 3600);
      // The ceremony stores only the secret's SHA-256.
      const row = await world.db
        .selectFrom('console_ceremonies')
        .select('browser_binding')
        .where('challenge', '=', first.body.publicKey.challenge)
        .executeTakeFirstOrThrow();
      assert.notEqual(row.browser_binding, cookie.value);
      assert.equal(row.browser_binding, createHash('sha256').update(cookie.value!).digest('base64url'), 'only its SHA-256 is stored');
      // A second ceremony in the same browser keeps its secret (two tabs both finish).
      const second = await expectStatus(browser.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      assert.equal(second.setCookies.find((c) => c.name === CEREMONY_COOKIE)?.value, cookie.value);
    });

    test('a sign-in assertion for a challenge one browser asked for is refused from another; the asking browser finishes it', async () => {
      const victim = await enrolAs(world, 'owner', 'Victim Owner');
      const asking = world.browser();
      const options = await expectStatus(asking.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      // The operator's authenticator signs that challenge somewhere else on Keyway's origin.
      const assertion = victim.authenticator.authenticate(options.body.publicKey, { origin: ORIGIN });
      const before = await persisted();

      // A client without any ceremony cookie.
      const bare = world.browser();
      await expectProblem(bare.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 400, 'CONSOLE_CEREMONY_NOT_FOUND');
      // A client with its own ceremony cookie (it began a sign-in of its own).
      const other = world.browser();
      await expectStatus(other.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      const refused = await expectProblem(other.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 400, 'CONSOLE_CEREMONY_NOT_FOUND');
      assert.equal(refused.body.detail, 'No console passkey ceremony with this challenge is in progress in this browser; start again');
      // A well-formed secret of nobody's.
      const forged = world.browser();
      forged.cookies.set(CEREMONY_COOKIE, 'A'.repeat(43));
      await expectProblem(forged.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 400, 'CONSOLE_CEREMONY_NOT_FOUND');
      // Nor the operator's own browser, whose ceremony cookie is its own (from enrolling).
      assert.ok(victim.browser.cookies.has(CEREMONY_COOKIE));
      await expectProblem(victim.browser.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 400, 'CONSOLE_CEREMONY_NOT_FOUND');
      for (const browser of [bare, other, forged]) {
        await expectProblem(browser.request('GET', `${CONSOLE_API}/session`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      }
      // No session, no counter moved, no audit event: only `other`'s own ceremony was added.
      const now = await persisted();
      assert.deepEqual({ ...now, ceremonies: undefined }, { ...before, ceremonies: undefined });
      assert.equal(now.ceremonies.length, before.ceremonies.length + 1);

      const signedIn = await expectStatus(asking.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 200);
      assert.deepEqual(signedIn.body.operator, victim.operator);
    });

    test('an expired ceremony from another browser is not found, not expired (a stranger learns nothing of it)', async () => {
      const operator = await enrolAs(world, 'viewer');
      const asking = world.browser();
      const options = await expectStatus(asking.request('POST', `${CONSOLE_API}/sign-in/options`, {}), 200);
      const assertion = operator.authenticator.authenticate(options.body.publicKey, { origin: ORIGIN });
      world.clock.advance(CEREMONY_TIMEOUT_MS);
      await expectProblem(world.browser().request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 400, 'CONSOLE_CEREMONY_NOT_FOUND');
      await expectProblem(asking.request('POST', `${CONSOLE_API}/sign-in/finish`, { credential: assertion }), 400, 'CONSOLE_CEREMONY_EXPIRED');
    });

    test('an enrolment begun in one browser is refused from another, even with the link; the link stays usable', async () => {
      const token = tokenOfLink(await invitationLink(world, 'admin'));
      const asking = world.browser();
      const options = await expectStatus(asking.request('POST', `${CONSOLE_API}/enrolment/options`, { token, displayName: 'Eve' }), 200);
      const credential = new SoftAuthenticator().register(options.body.publicKey, { origin: ORIGIN });
      const before = await persisted();
      await expectProblem(world.browser().request('POST', `${CONSOLE_API}/enrolment/finish`, { token, credential }), 400, 'CONSOLE_CEREMONY_NOT_FOUND');
      assert.deepEqual(await persisted(), before);
      const enrolled = await expectStatus(asking.request('POST', `${CONSOLE_API}/enrolment/finish`, { token, credential }), 201);
      assert.equal(enrolled.body.operator.role, 'admin');
    });

    test('adding a passkey is finished only by the browser that began it, even with the same session cookie', async () => {
      const operator = await enrolAs(world, 'support');
      const options = await expectStatus(operator.browser.request('POST', `${CONSOLE_API}/passkeys/options`, {}), 200);
      const credential = new SoftAuthenticator({ attachment: 'cross-platform' }).register(options.body.publicKey, { origin: ORIGIN });
      const before = await persisted();
      const sameSession = withCookieOf(operator.browser, 'keyway_console');
      await expectProblem(sameSession.request('POST', `${CONSOLE_API}/passkeys/finish`, { credential }), 400, 'CONSOLE_CEREMONY_NOT_FOUND');
      assert.deepEqual(await persisted(), before);
      const added = await expectStatus(operator.browser.request('POST', `${CONSOLE_API}/passkeys/finish`, { credential }), 201);
      assert.equal(added.body.items.length, 2);
    });
  });
}
