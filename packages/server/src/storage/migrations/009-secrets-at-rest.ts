import { createHash } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';
import { isSealed, sealSecret } from '../../secrets/envelope.ts';
import type { MasterKey } from '../../secrets/master-key.ts';
import { recordMasterKey } from '../../secrets/master-key-check.ts';
import { SEALED_COLUMNS, sealedAad } from '../../secrets/sealed-columns.ts';

/**
 * Secrets at rest. Adds the record of the master key (its id and a check value), seals the
 * secrets earlier versions stored in clear (signing keys, decoy keys) under the master key, and
 * replaces page grant ids by their SHA-256 (a grant id is only ever compared, like a session
 * token). Sealing needs the key, so a database holding clear secrets is only upgraded by a
 * process that has it (`keyway serve` or `keyway migrate` with the master key configured).
 */
export function secretsAtRest(masterKey: MasterKey | undefined): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables are named by SEALED_COLUMNS at run time
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('keyway_master_key')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('check_value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('rotated_at', 'bigint')
        .execute();

      const grants = (await db.selectFrom('journey_page_grants').select('id').execute()) as { id: string }[];
      for (const { id } of grants) {
        await db
          .updateTable('journey_page_grants')
          .set({ id: createHash('sha256').update(id).digest('base64url') })
          .where('id', '=', id)
          .execute();
      }

      const now = Date.now();
      for (const column of SEALED_COLUMNS) {
        const rows = (await db
          .selectFrom(column.table)
          .select([...column.identity, column.column])
          .execute()) as Record<string, string>[];
        for (const row of rows) {
          if (isSealed(row[column.column]!)) continue;
          if (!masterKey) {
            throw new Error(
              `${column.table}.${column.column} holds secrets in clear: run this migration with the master key configured (keyway serve or keyway migrate)`,
            );
          }
          let update = db.updateTable(column.table).set({ [column.column]: sealSecret(masterKey, row[column.column]!, sealedAad(column, row)) });
          for (const name of column.identity) update = update.where(name, '=', row[name]);
          await update.execute();
        }
      }
      // The key that sealed them is now the database's key (a later start with another key is refused).
      if (masterKey) await recordMasterKey(db, masterKey, now);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('keyway_master_key').execute();
    },
  };
}
