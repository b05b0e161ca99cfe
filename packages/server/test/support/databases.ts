import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPostgresTestDatabase } from '../../../../scripts/test-support/postgres.ts';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';

/** Every storage and API test runs once per engine (STYLE: same tests on both real databases). */
export const DATABASE_KINDS = ['sqlite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  /** Removes the database (file or PostgreSQL database). */
  drop(): Promise<void>;
}

/** A new, empty database of the given kind: a temp SQLite file, or a fresh PostgreSQL database. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'keyway-sqlite-'));
    return { kind, url: `sqlite:${path.join(dir, 'keyway.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.KEYWAY_TEST_POSTGRES_ADMIN_URL;
  if (!adminUrl) throw new Error('KEYWAY_TEST_POSTGRES_ADMIN_URL is not set: run the tests with `npm test`, which starts a throwaway PostgreSQL');
  const created = await createPostgresTestDatabase(adminUrl);
  return { kind, url: created.url, drop: created.drop };
}

/** A migrated database ready for repository/service tests. */
export async function openMigratedDatabase(kind: DatabaseKind): Promise<{ database: Database; testDatabase: TestDatabase; close(): Promise<void> }> {
  const testDatabase = await createTestDatabase(kind);
  const database = openDatabase(testDatabase.url);
  await migrateToLatest(database);
  return {
    database,
    testDatabase,
    close: async () => {
      await database.close();
      await testDatabase.drop();
    },
  };
}
