import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateLimiter, rateLimitAddress } from '../../src/http/rate-limiter.ts';
import { DATABASE_KINDS, openMigratedDatabase } from '../support/databases.ts';

const clock = { now: () => new Date(Date.UTC(2026, 11, 2, 9, 0, 30)) };

for (const kind of DATABASE_KINDS) {
  describe(`rate limiter on ${kind}`, () => {
    test('all keys of a call counted at once; a refused call leaves the keys after the refusing one uncharged', async () => {
      const { database, close } = await openMigratedDatabase(kind);
      try {
        const limiter = new RateLimiter({ db: database.db, clock });
        const counts = async () =>
          Object.fromEntries(
            (await database.db.selectFrom('selfservice_rate_limits').select(['key', 'count']).orderBy('key').execute()).map((r) => [r.key, Number(r.count)]),
          );
        const checks = [
          { key: 't|address', limit: 2, what: 'from this address' },
          { key: 't|account', limit: 100, what: 'for this account' },
          { key: 't|store', limit: 1000, what: 'for this store' },
        ];
        await limiter.hitAll(checks);
        await limiter.hitAll(checks);
        assert.deepEqual(await counts(), { 't|account': 2, 't|address': 2, 't|store': 2 });
        await assert.rejects(
          limiter.hitAll(checks),
          (error: { code?: string; headers?: Record<string, string> }) => error.code === 'RATE_LIMITED' && error.headers?.['retry-after'] === '30',
        );
        assert.deepEqual(await counts(), { 't|account': 2, 't|address': 3, 't|store': 2 }, 'the wider budgets were not spent by the refused call');

        // Refused by the middle key: only the one after it is given back.
        const middle = [
          { key: 'm|a', limit: 10, what: 'a' },
          { key: 'm|b', limit: 0, what: 'b' },
          { key: 'm|c', limit: 10, what: 'c' },
        ];
        await assert.rejects(limiter.hitAll(middle), { code: 'RATE_LIMITED' });
        const after = await counts();
        assert.deepEqual([after['m|a'], after['m|b'], after['m|c']], [1, 1, 0]);

        // The same key twice counts twice.
        await limiter.hitAll([
          { key: 'd|x', limit: 5, what: 'x' },
          { key: 'd|x', limit: 5, what: 'x' },
        ]);
        assert.equal((await counts())['d|x'], 2);
      } finally {
        await close();
      }
    });
  });
}

describe('client addresses in rate-limit keys', () => {
  test('every text form of one IPv6 /64 is one key; another /64 is another', () => {
    const forms = [
      '2001:db8:0:1::1',
      '2001:db8:0:1::2',
      '2001:0db8:0000:0001:0000:0000:0000:0001',
      '2001:DB8:0:1:FFFF:FFFF:FFFF:FFFF',
      '2001:db8::1:0:0:0:7',
      '2001:db8:0:1:a:b:192.0.2.1',
      '2001:db8:0:1::1%eth0',
      '2001:db8:0:1::%en0',
    ];
    for (const form of forms) assert.equal(rateLimitAddress(form), '2001:db8:0:1::/64', form);
    assert.equal(rateLimitAddress('2001:db8:0:2::1'), '2001:db8:0:2::/64');
    assert.equal(rateLimitAddress('2001:db8::'), '2001:db8:0:0::/64');
    assert.equal(rateLimitAddress('fe80::1%eth0'), rateLimitAddress('FE80::2%3'));
    assert.equal(rateLimitAddress('::1'), '0:0:0:0::/64');
  });

  test('IPv4 stays one address; an IPv4-mapped IPv6 address is keyed as its IPv4 address', () => {
    assert.equal(rateLimitAddress('192.0.2.1'), '192.0.2.1');
    assert.equal(rateLimitAddress('192.0.2.2'), '192.0.2.2');
    assert.equal(rateLimitAddress('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(rateLimitAddress('::FFFF:c000:201'), '192.0.2.1');
    assert.equal(rateLimitAddress('0:0:0:0:0:ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(rateLimitAddress('::ffff:127.0.0.1'), '127.0.0.1');
    // Not IPv4-mapped: the IPv4-compatible form (deprecated) and NAT64's are IPv6 addresses like any other.
    assert.equal(rateLimitAddress('::192.0.2.1'), '0:0:0:0::/64');
    assert.equal(rateLimitAddress('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  });

  test('what is not an address is kept as it is', () => {
    for (const value of ['', 'unknown', '[2001:db8::1]', '2001:db8::1::2', '192.0.2.256']) assert.equal(rateLimitAddress(value), value);
  });
});
