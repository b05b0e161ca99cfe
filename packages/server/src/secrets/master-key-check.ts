import { sql, type Kysely } from 'kysely';
import { openSecret, sealSecret } from './envelope.ts';
import type { MasterKey } from './master-key.ts';
import { SEALED_COLUMNS, type SealedColumn } from './sealed-columns.ts';

/** The check value: a known text sealed under the master key, so a wrong key is found at start-up rather than at first use. */
const CHECK_TEXT = 'keyway master key check';
const CHECK_AAD = 'keyway_master_key\0check';

/** Thrown at start-up or by rotate-master: the configured key is not the database's. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** Tables are named by SEALED_COLUMNS at run time, so these helpers use an untyped view of the schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

/** Records `key` as the database's master key, unless one is recorded already. */
export async function recordMasterKey(db: AnyDb, key: MasterKey, now: number): Promise<void> {
  await db
    .insertInto('keyway_master_key')
    .values({ id: 'current', key_id: key.id, check_value: sealSecret(key, CHECK_TEXT, CHECK_AAD), created_at: now, rotated_at: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Replaces the recorded master key (rotate-master, inside its transaction). */
export async function replaceMasterKey(db: AnyDb, key: MasterKey, now: number): Promise<void> {
  await db
    .updateTable('keyway_master_key')
    .set({ key_id: key.id, check_value: sealSecret(key, CHECK_TEXT, CHECK_AAD), rotated_at: now })
    .where('id', '=', 'current')
    .execute();
}

/** The id of the master key recorded in the database, if any (none before migration 009 or before first start). */
export async function recordedMasterKeyId(db: AnyDb): Promise<string | undefined> {
  try {
    const row = (await db.selectFrom('keyway_master_key').select('key_id').where('id', '=', 'current').executeTakeFirst()) as { key_id: string } | undefined;
    return row?.key_id;
  } catch {
    return undefined; // the table does not exist yet
  }
}

/**
 * The start-up check: `key` is the database's master key (recorded on first start), its check
 * value decrypts, and every sealed column holds an envelope under that key — no clear value and
 * none under another key. Anything else stops start-up before a request is served.
 */
export async function verifyMasterKey(db: AnyDb, key: MasterKey, now: number): Promise<void> {
  await recordMasterKey(db, key, now);
  const row = (await db.selectFrom('keyway_master_key').select(['key_id', 'check_value']).where('id', '=', 'current').executeTakeFirstOrThrow()) as {
    key_id: string;
    check_value: string;
  };
  if (row.key_id !== key.id) {
    throw new MasterKeyError(`expected the master key this database is encrypted with (key id ${row.key_id}), got a different key (key id ${key.id})`);
  }
  try {
    openSecret(key, row.check_value, CHECK_AAD);
  } catch {
    throw new MasterKeyError(`the master key (key id ${key.id}) does not decrypt this database's check value`);
  }
  for (const column of SEALED_COLUMNS) {
    const stray = await firstNotSealedUnder(db, column, key);
    if (stray) {
      throw new MasterKeyError(
        `${column.table}.${column.column} of ${column.identity.map((c) => `${c}=${String(stray[c])}`).join(', ')} is not sealed under the master key (key id ${key.id})`,
      );
    }
  }
}

async function firstNotSealedUnder(db: AnyDb, column: SealedColumn, key: MasterKey): Promise<Record<string, unknown> | undefined> {
  const prefix = `kw1.${key.id}.`;
  return (await db
    .selectFrom(column.table)
    .select([...column.identity])
    .where(sql`substr(${sql.ref(column.column)}, 1, ${prefix.length})`, '<>', prefix)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
}
