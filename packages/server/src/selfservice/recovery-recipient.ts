import { sql, type Kysely } from 'kysely';
import type { UserRow } from '../passkeys/ceremony-user.ts';
import type { Schema } from '../storage/schema.ts';

/** Whose account a lost-passkey e-mail recovers, or why nobody's. */
export type RecoveryRecipient = { user: UserRow } | { user?: undefined; reason: 'no such address' | 'address shared' };

/**
 * The account a lost-passkey e-mail to `address` recovers. `users.email` is not unique in a store (the admin API and
 * journeys may give several users one address), so the choice is a rule, never whichever row the database returns
 * first: the one user whose address is verified (only its holder has shown the address is theirs, so a user who
 * merely typed it in cannot draw the link away from them); without one, the address's only user. Several verified
 * users, or several unverified ones and none verified: nobody, since a link to an arbitrary one of them may recover
 * someone else's account and the reader of the e-mail could not tell whose. An address no account has proven can
 * still recover its one account: the recovery then takes it over alone (see recoveryFinish).
 */
export async function recoveryRecipient(db: Kysely<Schema>, storeId: string, address: string): Promise<RecoveryRecipient> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('email', '=', address)
    // Verified first, then oldest first: two rows tell every case apart.
    .orderBy(sql`case when email_verified_at is null then 1 else 0 end`)
    .orderBy('id')
    .limit(2)
    .execute();
  const [first, second] = rows;
  if (first === undefined) return { reason: 'no such address' };
  if (second === undefined) return { user: first };
  const verified = (row: UserRow) => row.email_verified_at !== null;
  return verified(first) && !verified(second) ? { user: first } : { reason: 'address shared' };
}
