// Database-backed rate limits on the self-service API, on both databases: a flood of begin calls from
// one client IP gets 429 RATE_LIMITED with Retry-After while another IP (another loopback address, or another
// X-Forwarded-For client behind a trusted proxy) is still served, an IPv6 client counting as its /64; per
// (identifier, IP) pair, so a flood for bob from one address does not lock bob out elsewhere, under a
// ten-times-higher per-identifier ceiling across IPs; the window resets with the (injected) clock; and two nodes on
// one database share the counts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SelfServiceWorld, expectProblem, expectStatus } from './selfservice-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`self-service rate limits on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind, { env: { KEYWAY_RATE_LIMIT_PER_IP: '5', KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '3' } });
      world.clock.set('2026-03-01T10:00:10Z');
    });
    after(() => world.close());

    test('a flood from one IP gets 429 with Retry-After while another IP is served; the window resets', async () => {
      const flooder = world.browser();
      for (let i = 0; i < 5; i++) await expectStatus(flooder.post('/register/webauthn/begin', { identifier: `flood-${i}@example.com` }), 200);
      const before = await world.counts();
      const limited = await expectProblem(flooder.post('/register/webauthn/begin', { identifier: 'flood-5@example.com' }), 429, 'RATE_LIMITED');
      assert.equal(limited.headers.get('retry-after'), '50');
      await expectProblem(flooder.post('/login/webauthn/options'), 429, 'RATE_LIMITED');
      assert.deepEqual(await world.counts(), before, 'a refused call changes nothing');
      // ...but is itself counted (a sign-in's charge is committed by the transaction that would have started it).
      const window = await world.db.selectFrom('selfservice_rate_limits').select('count').where('key', '=', 'ip|acme|127.0.0.1').executeTakeFirstOrThrow();
      assert.equal(Number(window.count), 7);

      // Another client address on loopback is served.
      const other = world.browser({ localAddress: '127.0.0.2' });
      await expectStatus(other.post('/register/webauthn/begin', { identifier: 'other-ip@example.com' }), 200);
      await expectStatus(other.post('/login/webauthn/options'), 200);

      world.clock.advance(50_000);
      await expectStatus(flooder.post('/login/webauthn/options'), 200);
    });

    test('sign-up begin: every answer is charged — a new account, a taken identifier and a refusal alike', async () => {
      world.clock.advance(60_000);
      await world.signUp(world.browser({ localAddress: '127.0.2.1' }), 'charged-taken@example.com');
      const prober = world.browser({ localAddress: '127.0.2.2' });
      const charged = async () =>
        Number((await world.db.selectFrom('selfservice_rate_limits').select('count').where('key', '=', 'ip|acme|127.0.2.2').executeTakeFirst())?.count ?? 0);
      // Whether an account exists is answered only by a charged call (409 would otherwise enumerate accounts for free).
      await expectProblem(prober.post('/register/webauthn/begin', { identifier: 'charged-taken@example.com' }), 409, 'IDENTIFIER_TAKEN');
      assert.equal(await charged(), 1);
      await expectStatus(prober.post('/register/webauthn/begin', { identifier: 'charged-new@example.com' }), 200);
      assert.equal(await charged(), 2);
      await expectProblem(prober.post('/register/webauthn/begin', { identifier: 'charged-taken@example.com' }), 409, 'IDENTIFIER_TAKEN');
      await expectStatus(prober.post('/register/webauthn/begin', { identifier: 'charged-new-2@example.com' }), 200);
      await expectProblem(prober.post('/register/webauthn/begin', { identifier: 'charged-taken@example.com' }), 409, 'IDENTIFIER_TAKEN');
      assert.equal(await charged(), 5);
      // Over the limit: refused before anything is looked up or stored, and still counted.
      const before = await world.counts();
      await expectProblem(prober.post('/register/webauthn/begin', { identifier: 'charged-taken@example.com' }), 429, 'RATE_LIMITED');
      await expectProblem(prober.post('/register/webauthn/begin', { identifier: 'charged-new-3@example.com' }), 429, 'RATE_LIMITED');
      assert.deepEqual(await world.counts(), before, 'a refused call changes nothing');
      assert.equal(await world.db.selectFrom('users').select('id').where('user_key', '=', 'charged-new-3@example.com').executeTakeFirst(), undefined);
      assert.equal(await charged(), 7);
    });

    test('per identifier: a flood for one account stops only its own address; the other addresses are still served', async () => {
      world.clock.advance(60_000);
      const flooder = world.browser({ localAddress: '127.0.0.3' });
      for (let i = 0; i < 3; i++) await expectStatus(flooder.post('/login/webauthn/options', { identifier: 'bob@example.com' }), 200);
      // Refused calls go on: none of them may count against bob from anywhere else.
      for (let i = 0; i < 2; i++) await expectProblem(flooder.post('/login/webauthn/options', { identifier: 'bob@example.com' }), 429, 'RATE_LIMITED');
      await expectStatus(world.browser({ localAddress: '127.0.0.4' }).post('/login/webauthn/options', { identifier: 'bob@example.com' }), 200);
      // The flooding address may still sign in someone else (within its own per-address limit).
      world.clock.advance(60_000);
      for (let i = 0; i < 3; i++) await expectStatus(flooder.post('/login/webauthn/options', { identifier: 'bob@example.com' }), 200);
      await expectProblem(flooder.post('/login/webauthn/options', { identifier: 'bob@example.com' }), 429, 'RATE_LIMITED');
      await expectStatus(flooder.post('/login/webauthn/options', { identifier: 'someone@example.com' }), 200);
    });

    test('per identifier: many addresses together reach a ceiling ten times the per-address limit', async () => {
      world.clock.advance(60_000);
      // 10 addresses × 3 calls each (the per-(identifier, address) limit) = 30 = the ceiling.
      for (let a = 10; a < 20; a++) {
        const browser = world.browser({ localAddress: `127.0.1.${a}` });
        for (let i = 0; i < 3; i++) await expectStatus(browser.post('/login/webauthn/options', { identifier: 'target@example.com' }), 200);
      }
      const limited = await expectProblem(
        world.browser({ localAddress: '127.0.1.20' }).post('/login/webauthn/options', { identifier: 'target@example.com' }),
        429,
        'RATE_LIMITED',
      );
      assert.match((limited.body as { detail: string }).detail, /for this account;/);
      await expectStatus(world.browser({ localAddress: '127.0.1.20' }).post('/login/webauthn/options', { identifier: 'someone-else@example.com' }), 200);
    });

    test('two nodes on one database share the counts', async () => {
      world.clock.advance(60_000);
      const node2 = await SelfServiceWorld.create(kind, {
        databaseUrl: world.server.config.databaseUrl,
        existing: true,
        clock: world.clock,
        env: { KEYWAY_RATE_LIMIT_PER_IP: '5', KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '3' },
      });
      try {
        const one = world.browser({ localAddress: '127.0.0.7' });
        const two = node2.browser({ localAddress: '127.0.0.7' });
        for (let i = 0; i < 5; i++) await expectStatus((i % 2 === 0 ? one : two).post('/login/webauthn/options'), 200);
        await expectProblem(two.post('/login/webauthn/options'), 429, 'RATE_LIMITED');
        await expectProblem(one.post('/login/webauthn/options'), 429, 'RATE_LIMITED');
      } finally {
        await node2.close();
      }
    });
  });

  describe(`self-service rate limits behind a trusted proxy on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind, { env: { KEYWAY_RATE_LIMIT_PER_IP: '3', KEYWAY_TRUST_PROXY: 'true' } });
    });
    after(() => world.close());

    test('the client IP is taken from X-Forwarded-For', async () => {
      const flooder = world.browser({ headers: { 'x-forwarded-for': '203.0.113.1' } });
      for (let i = 0; i < 3; i++) await expectStatus(flooder.post('/login/webauthn/options'), 200);
      const limited = await expectProblem(flooder.post('/login/webauthn/options'), 429, 'RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1 && Number(limited.headers.get('retry-after')) <= 60);
      await expectStatus(world.browser({ headers: { 'x-forwarded-for': '203.0.113.2' } }).post('/login/webauthn/options'), 200);
    });

    test('IPv6 clients are limited per /64: its addresses, in any text form, share one budget; another /64 has its own', async () => {
      const from = (address: string) => world.browser({ headers: { 'x-forwarded-for': address } });
      await expectStatus(from('2001:db8:7:1::1').post('/login/webauthn/options'), 200);
      await expectStatus(from('2001:db8:7:1:ffff:ffff:ffff:fffe').post('/login/webauthn/options'), 200);
      await expectStatus(from('2001:DB8:7:1:0:0:0:abcd').post('/login/webauthn/options'), 200);
      await expectProblem(from('2001:db8:7:1:1234::5').post('/login/webauthn/options'), 429, 'RATE_LIMITED');
      const window = await world.db
        .selectFrom('selfservice_rate_limits')
        .select('count')
        .where('key', '=', 'ip|acme|2001:db8:7:1::/64')
        .executeTakeFirstOrThrow();
      assert.equal(Number(window.count), 4);
      await expectStatus(from('2001:db8:7:2::1').post('/login/webauthn/options'), 200);
      // An IPv4 address, however it is written, is one address.
      await expectStatus(from('198.51.100.1').post('/login/webauthn/options'), 200);
      await expectStatus(from('::ffff:198.51.100.1').post('/login/webauthn/options'), 200);
      await expectStatus(from('198.51.100.1').post('/login/webauthn/options'), 200);
      await expectProblem(from('::ffff:198.51.100.1').post('/login/webauthn/options'), 429, 'RATE_LIMITED');
      await expectStatus(from('198.51.100.2').post('/login/webauthn/options'), 200);
    });

    test('only as many hops as configured: addresses the client wrote in front of the proxy’s entry are not believed', async () => {
      // What a proxy that appends the address it saw (nginx's $proxy_add_x_forwarded_for) forwards for a client that
      // sent X-Forwarded-For: 10.9.<i>.1 itself: the client is 203.0.113.7 each time, and is limited as one.
      const spoofing = (i: number) => world.browser({ headers: { 'x-forwarded-for': `10.9.${i}.1, 203.0.113.7` } });
      for (let i = 0; i < 3; i++) await expectStatus(spoofing(i).post('/login/webauthn/options'), 200);
      await expectProblem(spoofing(3).post('/login/webauthn/options'), 429, 'RATE_LIMITED');
    });
  });

  describe(`self-service rate limits behind proxies named by address on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind, { env: { KEYWAY_RATE_LIMIT_PER_IP: '3', KEYWAY_TRUST_PROXY: '127.0.0.0/8, 10.0.0.0/8' } });
    });
    after(() => world.close());

    test('the client is the first address, from the right, that is not one of the proxies', async () => {
      // Loopback (the socket) and 10.0.0.5 are proxies; 198.51.100.9 is the client; what it wrote before is not believed.
      const client = (spoofed: string) => world.browser({ headers: { 'x-forwarded-for': `${spoofed}, 198.51.100.9, 10.0.0.5` } });
      for (let i = 0; i < 3; i++) await expectStatus(client(`192.0.2.${i}`).post('/login/webauthn/options'), 200);
      await expectProblem(client('192.0.2.99').post('/login/webauthn/options'), 429, 'RATE_LIMITED');
      await expectStatus(world.browser({ headers: { 'x-forwarded-for': '198.51.100.10, 10.0.0.5' } }).post('/login/webauthn/options'), 200);
    });
  });
}
