import { sql, type Kysely } from 'kysely';

/**
 * The retention sweeper deletes given-up e-mails a week after `failed_at` (retention/retention-rules.ts), choosing them
 * through an index that leads with the rule's expiry column. `email_outbox` had none for `failed_at` (the due index
 * leads with `sent_at`), so each minute's sweep scanned the whole outbox inside its write transaction. Partial: only
 * given-up rows, which are few, are in it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('email_outbox_failed_at_idx').on('email_outbox').column('failed_at').where(sql.ref('failed_at'), 'is not', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('email_outbox_failed_at_idx').execute();
}
