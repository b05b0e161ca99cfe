import { sql, type Kysely } from 'kysely';
import { searchText } from '../../shared/search-fold.ts';

/** The users table as this migration sees it. */
interface Users {
  users: {
    id: string;
    user_key: string;
    email: string | null;
    external_id: string;
    first_name: string | null;
    last_name: string | null;
    search_text: string;
  };
}

/** Users folded per statement (two parameters each, well within both engines' limits). */
const BATCH = 500;

/**
 * `users.search_text`: what a users search (`q`) looks in, folded in JavaScript (shared/search-fold.ts) because SQL
 * `lower()` lower-cases ASCII only on SQLite and on PostgreSQL with a C ctype, and follows the locale otherwise.
 * Every later write of a searched column writes it too (identity/user-record.ts, userSearchText). The column is NOT
 * NULL with '' as default, so it is added in place on both engines; the users already stored are then folded here in
 * batches by id, each batch one UPDATE … FROM a VALUES list (the fold cannot be done in SQL). The searched columns are
 * named here, in the order userSearchText writes them, rather than taken from identity (a higher layer).
 */
export async function up(unknownDb: Kysely<unknown>): Promise<void> {
  const db = unknownDb as unknown as Kysely<Users>;
  await db.schema
    .alterTable('users')
    .addColumn('search_text', 'text', (column) => column.notNull().defaultTo(''))
    .execute();

  let after: string | undefined;
  for (;;) {
    let query = db.selectFrom('users').select(['id', 'user_key', 'email', 'external_id', 'first_name', 'last_name']);
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(BATCH).execute();
    if (rows.length === 0) break;
    const folded = sql.join(rows.map((row) => sql`(${row.id}, ${searchText([row.user_key, row.email, row.external_id, row.first_name, row.last_name])})`));
    await sql`with folded (id, search_text) as (values ${folded})
      update users set search_text = folded.search_text from folded where users.id = folded.id`.execute(db);
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.id;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('search_text').execute();
}
