import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { Kysely } from 'kysely';
import { createPostgresTestDatabase } from '../../../../scripts/test-support/postgres.ts';
import { openDatabase, type Database, type OpenDatabaseOptions } from '../../src/storage/database.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import type { Schema } from '../../src/storage/schema.ts';

/** Every storage and API test runs once per engine (the same tests on both real databases). */
export const DATABASE_KINDS = ['sqlite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

/**
 * The master key of test databases on PostgreSQL (which has no default key file). SQLite test
 * databases use the default: a key file created beside the database file on first start.
 */
export const TEST_MASTER_KEY = 'dGVzdC1tYXN0ZXIta2V5LWZvci1rZXl3YXktdGVzdHM';

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  /** What a Keyway process needs to open it: the URL and, on PostgreSQL, the master key. */
  env: Record<string, string>;
  /** Removes the database (file or PostgreSQL database). */
  drop(): Promise<void>;
}

/** A new, empty database of the given kind: a temp SQLite file, or a fresh PostgreSQL database. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'keyway-sqlite-'));
    const url = `sqlite:${path.join(dir, 'keyway.db')}`;
    return { kind, url, env: { KEYWAY_DATABASE_URL: url }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.KEYWAY_TEST_POSTGRES_ADMIN_URL;
  if (!adminUrl) throw new Error('KEYWAY_TEST_POSTGRES_ADMIN_URL is not set: run the tests with `npm test`, which starts a throwaway PostgreSQL');
  const created = await createPostgresTestDatabase(adminUrl);
  return { kind, url: created.url, env: { KEYWAY_DATABASE_URL: created.url, KEYWAY_MASTER_KEY: TEST_MASTER_KEY }, drop: created.drop };
}

/** A migrated database ready for repository/service tests. */
export async function openMigratedDatabase(
  kind: DatabaseKind,
  options: OpenDatabaseOptions = {},
): Promise<{ database: Database; testDatabase: TestDatabase; close(): Promise<void> }> {
  const testDatabase = await createTestDatabase(kind);
  const database = openDatabase(testDatabase.url, options);
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

/**
 * Inside a `describe`: a migrated database of `kind`, opened before the suite's tests (and its later `before` hooks)
 * and dropped after them. Answers a getter for its Kysely handle, valid once the suite runs.
 */
export function migratedDatabaseSuite(kind: DatabaseKind): () => Kysely<Schema> {
  let opened: Awaited<ReturnType<typeof openMigratedDatabase>> | undefined;
  before(async () => {
    opened = await openMigratedDatabase(kind);
  });
  after(() => opened?.close());
  return () => {
    if (!opened) throw new Error('the suite database is opened by its before hook');
    return opened.database.db;
  };
}
