// No user enumeration at sign-in, on both databases: options for an unknown identifier have the same shape as for a
// known one (IDs of the same length, transports); the number of descriptors is the identifier's stable minimum
// (drawn by HMAC from a distribution like real accounts' passkey counts), whether it is unknown or its account has
// 1, 2 or 3 passkeys; decoys are stable, identical on a second node and after a restart (the HMAC key is in the
// database), differ per identifier, and a decoy session cannot be completed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServices } from '../../src/services.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ORIGIN, SelfServiceWorld, expectProblem, expectStatus } from './selfservice-fixture.ts';

/**
 * The structure of a JSON value: keys and types, recursively (arrays by their elements' shapes). A transports list
 * counts as one string list whatever its length: real passkeys report one or two transports, and so do decoys.
 */
function shape(value: unknown, key?: string): unknown {
  if (key === 'transports' && Array.isArray(value)) return value.every((t) => typeof t === 'string') ? 'string[]' : value.map((v) => shape(v));
  if (Array.isArray(value)) return value.map((v) => shape(v));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v, k)]));
  return typeof value;
}

for (const kind of DATABASE_KINDS) {
  describe(`self-service enumeration resistance on ${kind}`, () => {
    let world: SelfServiceWorld;
    let knownCredentialId: string;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
      knownCredentialId = (await world.signUp(world.browser(), 'known@example.com')).credentialId;
    });
    after(() => world.close());

    const options = async (w: SelfServiceWorld, identifier: string) =>
      (await expectStatus(w.browser().post('/login/webauthn/options', { identifier }), 200)).body.publicKey;

    test('an unknown identifier answers the same shape and lengths as a known one, with a stable decoy', async () => {
      const known = await options(world, 'known@example.com');
      const unknown = await options(world, 'unknown@example.com');
      assert.deepEqual(shape(unknown.allowCredentials[0]), shape(known.allowCredentials[0]));
      assert.deepEqual(shape({ ...unknown, allowCredentials: [] }), shape({ ...known, allowCredentials: [] }));
      assert.equal(unknown.allowCredentials[0].id.length, known.allowCredentials[0].id.length);
      assert.equal(Buffer.from(unknown.allowCredentials[0].id, 'base64url').length, 32);
      assert.equal(known.allowCredentials[0].id, knownCredentialId);
      assert.notEqual(unknown.challenge, known.challenge);
      assert.deepEqual(Object.keys(unknown).sort(), Object.keys(known).sort());

      const again = await options(world, 'unknown@example.com');
      assert.deepEqual(again.allowCredentials, unknown.allowCredentials, 'the same decoy every time');
      const other = await options(world, 'someone-else@example.com');
      assert.notEqual(other.allowCredentials[0].id, unknown.allowCredentials[0].id, 'each identifier has its own decoy');
      // An account that cannot sign in (sign-up not finished) answers a decoy too.
      await expectStatus(world.browser().post('/register/webauthn/begin', { identifier: 'half@example.com' }), 200);
      const before = await options(world, 'half2@example.com');
      await expectStatus(world.browser().post('/register/webauthn/begin', { identifier: 'half2@example.com' }), 200);
      assert.deepEqual((await options(world, 'half2@example.com')).allowCredentials, before.allowCredentials);
    });

    test('how many descriptors: unknown identifiers draw different stable counts, not always one', async () => {
      const counts = new Map<number, number>();
      for (let i = 0; i < 64; i++) {
        const n = (await options(world, `count-${i}@example.com`)).allowCredentials.length;
        assert.ok(n >= 1 && n <= 8, `${n} descriptors`);
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      // Half of all identifiers draw 1, a quarter 2, an eighth 3…: 64 draws show at least 1, 2 and 3.
      assert.ok(counts.has(1) && counts.has(2) && counts.has(3), JSON.stringify([...counts]));
    });

    test('an account with 1, 2 or 3 passkeys answers as many descriptors as its identifier did before it existed', async () => {
      // An identifier whose drawn minimum is at least 3 (each draws one with probability 1/4).
      let identifier = '';
      let unknown: { allowCredentials: { id: string; transports: string[] }[] } | undefined;
      for (let i = 0; i < 64 && !unknown; i++) {
        const candidate = await options(world, `three-${i}@example.com`);
        if (candidate.allowCredentials.length >= 3) [identifier, unknown] = [`three-${i}@example.com`, candidate];
      }
      assert.ok(unknown, 'no identifier with a minimum of 3 among 64');
      const count = unknown.allowCredentials.length;

      const browser = world.browser();
      const first = await world.signUp(browser, identifier);
      const realIds = [first.credentialId];
      const node2 = await SelfServiceWorld.create(kind, { databaseUrl: databaseUrlOf(world), existing: true });
      try {
        for (;;) {
          const answered = await options(world, identifier);
          assert.equal(answered.allowCredentials.length, count, `with ${realIds.length} passkey(s)`);
          assert.deepEqual(
            answered.allowCredentials.map((d: unknown) => shape(d)),
            unknown.allowCredentials.map((d) => shape(d)),
          );
          const ids = answered.allowCredentials.map((d: { id: string }) => d.id);
          for (const id of realIds) assert.ok(ids.includes(id), 'every real passkey is allowed');
          for (const id of ids) assert.equal(Buffer.from(id, 'base64url').length, 32);
          assert.deepEqual((await options(world, identifier)).allowCredentials, answered.allowCredentials, 'stable from call to call');
          assert.deepEqual((await options(node2, identifier)).allowCredentials, answered.allowCredentials, 'the same on a second node');
          if (realIds.length === 3) break;
          const begun = await expectStatus(browser.post('/me/passkeys/register/begin'), 200);
          const added = await expectStatus(
            browser.post(
              '/me/passkeys/register/finish',
              new SoftAuthenticator({ attachment: 'cross-platform' }).register(begun.body.publicKey, { origin: ORIGIN }),
            ),
            201,
          );
          realIds.push(added.body.id as string);
        }
      } finally {
        await node2.close();
      }
      // A real passkey still signs in through the padded list.
      await world.signIn(world.browser(), first.authenticator, identifier, first.credentialId);
    });

    test('decoys are identical on a second node and after a restart (key in the database)', async () => {
      const first = (await options(world, 'ghost@example.com')).allowCredentials;
      // A second node on the same database (its own process state, its own key cache).
      const node2 = await SelfServiceWorld.create(kind, { databaseUrl: world.server.database === undefined ? '' : databaseUrlOf(world), existing: true });
      try {
        assert.deepEqual((await options(node2, 'ghost@example.com')).allowCredentials, first);
      } finally {
        await node2.close();
      }
      // A restarted node: a new application and services on the same database.
      const restarted = await SelfServiceWorld.create(kind, { databaseUrl: databaseUrlOf(world), existing: true });
      try {
        assert.deepEqual((await options(restarted, 'ghost@example.com')).allowCredentials, first);
        const keys = await restarted.db.selectFrom('selfservice_tenant_keys').selectAll().execute();
        assert.equal(keys.length, 1, 'one durable key for the tenant');
      } finally {
        await restarted.close();
      }
    });

    test('a known and an unknown identifier run the same SQL statements (similar timing by construction)', async () => {
      // A second service graph on the same database whose Kysely records every statement it compiles.
      const statements: string[] = [];
      const base = world.db;
      const recorded = base.withPlugin({
        transformQuery: (args) => {
          statements.push(base.getExecutor().compileQuery(args.node, args.queryId).sql);
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      const services = createServices({
        config: world.server.config,
        database: { ...world.server.database, db: recorded },
        clock: world.clock,
        masterKey: world.server.masterKey,
      });
      const request = {
        tenantId: 'acme',
        storeName: 'customers',
        requestId: 'parity',
        clientIp: '127.0.0.9',
        userAgent: undefined,
        flowToken: undefined,
        sessionToken: undefined,
      };
      await services.selfService.loginOptions(request, { identifier: 'warm-up@example.com' }); // loads the key
      statements.length = 0;
      await services.selfService.loginOptions(request, { identifier: 'known@example.com' });
      const known = [...statements];
      statements.length = 0;
      await services.selfService.loginOptions(request, { identifier: 'unknown-parity@example.com' });
      assert.deepEqual(statements, known);
      // The user and credential lookups, the decoy key, the rate limits and the start transaction: a real ceremony was recorded.
      assert.ok(known.length >= 6, `${known.length} statements`);
    });

    test('a decoy session cannot be completed, whatever credential answers it', async () => {
      const browser = world.browser();
      const decoy = await expectStatus(browser.post('/login/webauthn/options', { identifier: 'nobody@example.com' }), 200);
      const attacker = new SoftAuthenticator();
      const { credentialId } = await world.signUp(world.browser(), 'attacker@example.com', attacker);
      const before = await world.counts();
      const assertion = attacker.authenticate({ ...decoy.body.publicKey, allowCredentials: [] }, { origin: ORIGIN, credentialId });
      await expectProblem(browser.post('/login/webauthn/finish', assertion), 400, 'CREDENTIAL_NOT_ALLOWED');
      assert.deepEqual(await world.counts(), before);
    });
  });
}

/** The database URL the world's server runs on (the config holds it). */
function databaseUrlOf(world: SelfServiceWorld): string {
  return world.server.config.databaseUrl;
}
