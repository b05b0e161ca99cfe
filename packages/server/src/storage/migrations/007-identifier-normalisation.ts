import type { Kysely } from 'kysely';
import { normaliseIdentifier } from '../../shared/identifier.ts';

/** The users table as this migration sees it. */
interface Users {
  users: { id: string; store_id: string; user_key: string; user_key_normalized: string | null };
}

const BATCH = 500;

/**
 * User keys become unique by their comparison form (shared/identifier.ts): `user_key_normalized` holds it, with a
 * unique index per store. Existing users are backfilled oldest first (ids are time-ordered); a key the rule
 * refuses, or whose form an older user of the same store already holds, is left NULL (a unique index admits many
 * NULLs), so no existing record is lost or renamed — such a user is still found by its exact key, id and externalId.
 */
export async function up(unknownDb: Kysely<unknown>): Promise<void> {
  const db = unknownDb as unknown as Kysely<Users>;
  await db.schema.alterTable('users').addColumn('user_key_normalized', 'text').execute();

  let claimed = new Set<string>();
  let after: { store_id: string; id: string } | undefined;
  for (;;) {
    let query = db.selectFrom('users').select(['id', 'store_id', 'user_key']);
    if (after) {
      const last = after;
      query = query.where((eb) => eb.or([eb('store_id', '>', last.store_id), eb.and([eb('store_id', '=', last.store_id), eb('id', '>', last.id)])]));
    }
    const rows = await query.orderBy('store_id').orderBy('id').limit(BATCH).execute();
    for (const row of rows) {
      if (row.store_id !== after?.store_id) claimed = new Set();
      after = { store_id: row.store_id, id: row.id };
      const normalised = normaliseIdentifier(row.user_key);
      if (normalised === undefined || claimed.has(normalised)) continue;
      claimed.add(normalised);
      await db.updateTable('users').set({ user_key_normalized: normalised }).where('id', '=', row.id).execute();
    }
    if (rows.length < BATCH) break;
  }

  await db.schema.createIndex('users_store_id_user_key_normalized_key').on('users').columns(['store_id', 'user_key_normalized']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_store_id_user_key_normalized_key').execute();
  await db.schema.alterTable('users').dropColumn('user_key_normalized').execute();
}
