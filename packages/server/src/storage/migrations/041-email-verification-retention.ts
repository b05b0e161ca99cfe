import type { Kysely } from 'kysely';

/**
 * E-mail verification links are deleted a day after they expire (retention/retention-rules.ts): each row keeps the
 * address the link was sent to, which must not outlive its use. The sweep chooses them through an index that leads
 * with the rule's expiry column; `email_verifications` had none for `expires_at`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('email_verifications_expires_at_idx').on('email_verifications').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('email_verifications_expires_at_idx').execute();
}
