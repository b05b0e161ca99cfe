import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateLimiter } from '../../src/http/rate-limiter.ts';
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
