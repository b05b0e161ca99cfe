// The pages' branding cache on both databases: two nodes on one database, a frozen clock. The node that
// changes a store's branding shows it at once; another node shows it once its cached copy is older than
// the TTL, never later.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BrandingService } from '../../src/branding/branding-service.ts';
import { IdentityService } from '../../src/identity/identity-service.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS, openMigratedDatabase } from '../support/databases.ts';

const TTL_MS = 30_000;

for (const kind of DATABASE_KINDS) {
  describe(`branding cache (${kind})`, () => {
    let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
    const clock = new ManualClock();
    let nodeA: BrandingService;
    let nodeB: BrandingService;
    let identity: IdentityService;

    before(async () => {
      db = await openMigratedDatabase(kind);
      await db.database.db
        .insertInto('tenants')
        .values([
          { id: 'acme', created_at: 0 },
          { id: 'globex', created_at: 0 },
        ])
        .execute();
      identity = new IdentityService({ db: db.database.db, clock });
      for (const tenantId of ['acme', 'globex']) await identity.createStore({ tenantId, actor: 'test' }, { name: 'shop', displayName: `${tenantId} shop` });
      nodeA = new BrandingService({ db: db.database.db, clock, identity, cacheTtlMs: TTL_MS });
      nodeB = new BrandingService({ db: db.database.db, clock, identity, cacheTtlMs: TTL_MS });
    });
    after(async () => {
      await db?.close();
    });

    test('the writing node at once, the other within the TTL; each store its own entry', async () => {
      const acmeStore = await identity.findStore('acme', 'shop');
      const globexStore = await identity.findStore('globex', 'shop');
      assert.equal((await nodeB.forStore(acmeStore)).productName, 'acme shop', 'B caches the default');
      assert.equal((await nodeA.forStore(acmeStore)).productName, 'acme shop', 'A caches the default');

      await nodeA.replace({ tenantId: 'acme', actor: 'test' }, 'shop', { productName: 'Acme Pay', primaryColor: '#0b6e4f' });
      const onA = await nodeA.forStore(acmeStore);
      assert.equal(onA.productName, 'Acme Pay', 'the writing node drops its copy');
      assert.equal(onA.palettes.light.primary, '#0b6e4f');
      assert.match(onA.styleSource ?? '', /^'sha256-[A-Za-z0-9+/]+=*'$/);

      clock.advance(TTL_MS - 1);
      assert.equal((await nodeB.forStore(acmeStore)).productName, 'acme shop', 'B serves its copy until the TTL');
      clock.advance(1);
      assert.equal((await nodeB.forStore(acmeStore)).productName, 'Acme Pay', 'then reads again');
      assert.equal((await nodeB.forStore(globexStore)).productName, 'globex shop', 'another tenant’s same-named store is not affected');
      assert.equal((await nodeA.forStoreName('globex', 'shop')).themeCss, '', 'by name (for e-mails): the other tenant keeps Keyway’s colours');
    });
  });
}
