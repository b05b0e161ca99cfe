import { SqliteAdapter, sql, type Kysely } from 'kysely';

/**
 * `stores.config_version` counts every change of what a ceremony reads about a store: the store row itself (its
 * self-service settings) and its relying parties and policies. Nodes cache those objects in memory labelled with the
 * version they were loaded at (shared/versioned-cache.ts) and check the version with one small read per request, so a
 * change made through any node, or by hand in the database, is seen by the next request everywhere.
 *
 * Triggers, not application code, keep the count: no write path (the admin API, a migration, a console edit, an
 * operator's SQL) can forget it.
 */
const CHILD_TABLES = ['relying_parties', 'registration_policies', 'authentication_policies'] as const;

function isSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('stores')
    .addColumn('config_version', 'integer', (column) => column.notNull().defaultTo(0))
    .execute();
  if (isSqlite(db)) {
    // Recursive triggers are off in SQLite (the default Keyway keeps), so the trigger's own UPDATE does not fire it again;
    // the WHEN clause makes that explicit.
    await sql`create trigger stores_config_version after update on stores for each row when new.config_version = old.config_version
      begin update stores set config_version = old.config_version + 1 where id = new.id; end`.execute(db);
    for (const table of CHILD_TABLES) {
      for (const event of ['insert', 'update', 'delete'] as const) {
        const row = event === 'delete' ? 'old' : 'new';
        await sql`${sql.raw(`create trigger ${table}_${event}_config_version after ${event} on ${table} for each row
          begin update stores set config_version = config_version + 1 where id = ${row}.store_id; end`)}`.execute(db);
      }
      // A row moved to another store changes both.
      await sql`${sql.raw(`create trigger ${table}_move_config_version after update of store_id on ${table} for each row when new.store_id <> old.store_id
        begin update stores set config_version = config_version + 1 where id = old.store_id; end`)}`.execute(db);
    }
    return;
  }
  await sql`create function keyway_stores_config_version() returns trigger language plpgsql as $$
    begin new.config_version := old.config_version + 1; return new; end $$`.execute(db);
  await sql`create trigger stores_config_version before update on stores for each row execute function keyway_stores_config_version()`.execute(db);
  await sql`create function keyway_store_child_config_version() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' then update stores set config_version = config_version + 1 where id = old.store_id; end if;
      if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.store_id <> old.store_id) then
        update stores set config_version = config_version + 1 where id = new.store_id;
      end if;
      return null;
    end $$`.execute(db);
  for (const table of CHILD_TABLES) {
    await sql`${sql.raw(`create trigger ${table}_config_version after insert or update or delete on ${table} for each row execute function keyway_store_child_config_version()`)}`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isSqlite(db)) {
    await sql`drop trigger if exists stores_config_version`.execute(db);
    for (const table of CHILD_TABLES) {
      for (const event of ['insert', 'update', 'delete', 'move'] as const)
        await sql`${sql.raw(`drop trigger if exists ${table}_${event}_config_version`)}`.execute(db);
    }
  } else {
    for (const table of CHILD_TABLES) await sql`${sql.raw(`drop trigger if exists ${table}_config_version on ${table}`)}`.execute(db);
    await sql`drop trigger if exists stores_config_version on stores`.execute(db);
    await sql`drop function if exists keyway_store_child_config_version()`.execute(db);
    await sql`drop function if exists keyway_stores_config_version()`.execute(db);
  }
  await db.schema.alterTable('stores').dropColumn('config_version').execute();
}
