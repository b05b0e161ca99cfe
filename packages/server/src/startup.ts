import type { Config, MasterKeySetting } from './config/config.ts';
import type { MasterKey } from './secrets/master-key.ts';
import { MasterKeyError, recordedMasterKeyId, verifyMasterKey } from './secrets/master-key-check.ts';
import { configuredMasterKey, createKeyFile } from './secrets/master-key-source.ts';
import { systemClock, type Clock } from './shared/clock.ts';
import { openDatabase, type Database, type OpenDatabaseOptions } from './storage/database.ts';
import { migrateToLatest } from './storage/migrate.ts';

export interface OpenedDatabase {
  database: Database;
  masterKey: MasterKey;
  /** Migrations applied by this start */
  applied: string[];
}

/** Where the key came from, for error messages (never the key itself). */
export function masterKeySourceLabel(setting: MasterKeySetting): string {
  switch (setting.source) {
    case 'KEYWAY_MASTER_KEY':
      return 'KEYWAY_MASTER_KEY';
    case 'KEYWAY_MASTER_KEY_FILE':
      return `KEYWAY_MASTER_KEY_FILE (${setting.file})`;
    case 'default key file':
      return `the master key file ${setting.file} (beside the SQLite database; set KEYWAY_MASTER_KEY or KEYWAY_MASTER_KEY_FILE to use another)`;
    case 'in-memory database':
      return 'the in-memory database key';
  }
}

/**
 * What every command that touches the database does first: resolve the master key (creating the
 * default key file on first start with SQLite), migrate (sealing secrets an older version stored
 * in clear), and check the key against the database before anything else runs. A missing or
 * wrong key stops here, never at first use, and a new key is never silently put in its place.
 */
export async function openKeywayDatabase(config: Config, clock: Clock = systemClock, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const setting = config.masterKey;
  let masterKey = configuredMasterKey(setting);
  const database = openDatabase(config.databaseUrl, options);
  try {
    if (masterKey === undefined && setting.source === 'default key file') {
      // First start (or an upgrade from a version without a master key): create the key file.
      // A database already sealed under a key whose file is gone is refused instead.
      const recorded = await recordedMasterKeyId(database.db);
      if (recorded !== undefined) throw new MasterKeyError(`missing; this database is encrypted with the master key of key id ${recorded}`);
      masterKey = createKeyFile(setting.file);
    }
    if (masterKey === undefined) throw new TypeError('no master key');
    const applied = await migrateToLatest(database, masterKey);
    await verifyMasterKey(database.db, masterKey, clock.now().getTime());
    return { database, masterKey, applied };
  } catch (error) {
    await database.close();
    if (error instanceof MasterKeyError) throw new MasterKeyError(`${masterKeySourceLabel(setting)}: ${error.message}`);
    throw error;
  }
}
