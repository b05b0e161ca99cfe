import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Database } from './database.ts';
import * as foundation from './migrations/001-foundation.ts';
import * as passkeys from './migrations/002-passkeys.ts';
import * as signingKeys from './migrations/003-signing-keys.ts';
import * as selfService from './migrations/004-selfservice.ts';
import * as journeys from './migrations/005-journeys.ts';
import * as journeyContent from './migrations/006-journey-content.ts';
import * as identifierNormalisation from './migrations/007-identifier-normalisation.ts';
import * as relyingPartyTopOrigins from './migrations/008-relying-party-top-origins.ts';
import { secretsAtRest } from './migrations/009-secrets-at-rest.ts';
import * as pendingAccountOwner from './migrations/010-pending-account-owner.ts';
import * as ephemeralState from './migrations/014-ephemeral-state.ts';
import * as storeBranding from './migrations/015-store-branding.ts';
import * as credentialDevice from './migrations/016-credential-device.ts';
import * as oidcClients from './migrations/017-oidc-clients.ts';
import * as oidcState from './migrations/018-oidc-state.ts';
import * as consoleOperators from './migrations/019-console-operators.ts';
import * as schedulerLeases from './migrations/021-scheduler-leases.ts';
import * as storeConfigVersion from './migrations/022-store-config-version.ts';
import * as email from './migrations/023-email.ts';
import * as deviceKeys from './migrations/025-device-keys.ts';
import * as editVersions from './migrations/027-edit-versions.ts';
import * as oidcStateCreated from './migrations/028-oidc-state-created.ts';
import * as sessionAmr from './migrations/030-session-amr-sign-up-challenges.ts';
import * as organizations from './migrations/026-organizations.ts';
import * as duplicateEmailIndex from './migrations/031-duplicate-email-index.ts';
import * as outboxGivenUpIndex from './migrations/032-outbox-given-up-index.ts';
import * as journeyBrowserBinding from './migrations/033-journey-browser-binding.ts';
import * as consoleCeremonyBinding from './migrations/034-console-ceremony-binding.ts';
import * as consoleInvitationRevocation from './migrations/035-console-invitation-revocation.ts';
import * as consoleSessionIdle from './migrations/037-console-session-idle.ts';
import * as oidcStateAccount from './migrations/036-oidc-state-account.ts';
import * as userSearchText from './migrations/038-user-search-text.ts';
import * as emailOutboxUser from './migrations/040-email-outbox-user.ts';
import * as emailVerificationRetention from './migrations/041-email-verification-retention.ts';
import * as auditRetention from './migrations/042-audit-retention.ts';
import type { MasterKey } from '../secrets/master-key.ts';

/**
 * Migrations in order. Names are permanent: Kysely refuses to run if history and code disagree.
 * The master key is given to the migrations that seal existing secrets; without it, such a
 * migration refuses to run over a database that holds secrets in clear.
 */
const migrations = (masterKey: MasterKey | undefined): Record<string, Migration> => ({
  '001-foundation': foundation,
  '002-passkeys': passkeys,
  '003-signing-keys': signingKeys,
  '004-selfservice': selfService,
  '005-journeys': journeys,
  '006-journey-content': journeyContent,
  '007-identifier-normalisation': identifierNormalisation,
  '008-relying-party-top-origins': relyingPartyTopOrigins,
  '009-secrets-at-rest': secretsAtRest(masterKey),
  '010-pending-account-owner': pendingAccountOwner,
  '014-ephemeral-state': ephemeralState,
  '015-store-branding': storeBranding,
  '016-credential-device': credentialDevice,
  '017-oidc-clients': oidcClients,
  '018-oidc-state': oidcState,
  '019-console-operators': consoleOperators,
  '021-scheduler-leases': schedulerLeases,
  '022-store-config-version': storeConfigVersion,
  '023-email': email,
  '025-device-keys': deviceKeys,
  '027-edit-versions': editVersions,
  '028-oidc-state-created': oidcStateCreated,
  '030-session-amr-sign-up-challenges': sessionAmr,
  '026-organizations': organizations,
  '031-duplicate-email-index': duplicateEmailIndex,
  '032-outbox-given-up-index': outboxGivenUpIndex,
  '033-journey-browser-binding': journeyBrowserBinding,
  '034-console-ceremony-binding': consoleCeremonyBinding,
  '035-console-invitation-revocation': consoleInvitationRevocation,
  '037-console-session-idle': consoleSessionIdle,
  '036-oidc-state-account': oidcStateAccount,
  '038-user-search-text': userSearchText,
  '040-email-outbox-user': emailOutboxUser,
  '041-email-verification-retention': emailVerificationRetention,
  '042-audit-retention': auditRetention,
});

function migrator(database: Database, masterKey?: MasterKey): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations(masterKey) };
  return new Migrator({ db: database.db, provider, migrationTableName: 'keyway_migrations', migrationLockTableName: 'keyway_migrations_lock' });
}

/**
 * Errors two nodes can meet when they start on a new database at the same moment: SQLite busy,
 * and PostgreSQL's catalog races around `create table if not exists` (duplicate object, unique
 * violation on pg_type) or a deadlock. Running again is safe: applied migrations are skipped.
 */
function isStartupRace(error: unknown): boolean {
  const e = error as { errcode?: number; code?: string } | undefined;
  if (typeof e?.errcode === 'number') return (e.errcode & 0xff) === 5; // SQLITE_BUSY and its extended codes
  return e?.code === '42P07' || e?.code === '23505' || e?.code === '40P01';
}

/**
 * Brings the schema up to date. Safe when several nodes start at once: the run holds a
 * PostgreSQL advisory lock, or on SQLite an IMMEDIATE transaction; a node that loses a race
 * while the bookkeeping tables are created retries and then finds the migrations applied.
 */
export async function migrateToLatest(database: Database, masterKey?: MasterKey): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const result: MigrationResultSet = await migrator(database, masterKey).migrateToLatest();
    if (result.error === undefined) {
      return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    }
    if (isStartupRace(result.error) && attempt < 10) {
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

/** Applies the migrations up to and including `name` only: how tests build a database as an older version left it. */
export async function migrateUpTo(database: Database, name: string): Promise<void> {
  const result = await migrator(database).migrateTo(name);
  if (result.error !== undefined) throw result.error instanceof Error ? result.error : new Error(String(result.error));
}
