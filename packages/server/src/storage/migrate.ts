import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Database } from './database.ts';
import * as foundation from './migrations/001-foundation.ts';
import * as passkeys from './migrations/002-passkeys.ts';

/** Migrations in order. Names are permanent: Kysely refuses to run if history and code disagree. */
const MIGRATIONS: Record<string, Migration> = {
  '001-foundation': foundation,
  '002-passkeys': passkeys,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

function migrator(database: Database): Migrator {
  return new Migrator({ db: database.db, provider, migrationTableName: 'keyway_migrations', migrationLockTableName: 'keyway_migrations_lock' });
}

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { errcode?: number } | undefined)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5; // SQLITE_BUSY and its extended codes
}

/**
 * Brings the schema up to date. Safe when several nodes start at once: Kysely holds a
 * PostgreSQL advisory lock for the run; on SQLite a second process that loses the race for the
 * write lock retries and then finds the migrations already applied.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const result: MigrationResultSet = await migrator(database).migrateToLatest();
    if (result.error === undefined) {
      return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    }
    if (database.dialect === 'sqlite' && isSqliteBusy(result.error) && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      continue;
    }
    throw result.error instanceof Error ? result.error : new Error(String(result.error));
  }
}

/** Names of migrations that exist in code but are not applied (for /readyz). */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const migrations = await migrator(database).getMigrations();
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
